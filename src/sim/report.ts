import type { SweepKey } from "./options.js";
import type { Comparison, SweepRun } from "./sweep.js";

/**
 * Text tables for `simulate` results. Pure. Latencies print in the unit of the run: milliseconds
 * when the mean service time was given with a unit, otherwise in mean service times.
 */

/** How to print times: `scale` converts mean service times to the printed unit. */
export interface TimeUnit {
  readonly label: string;
  readonly scale: number;
}

export function timeUnit(serviceMeanSeconds: number | null): TimeUnit {
  return serviceMeanSeconds === null ? { label: "x mean service time", scale: 1 } : { label: "ms", scale: serviceMeanSeconds * 1e3 };
}

/** Throughput's unit follows the time unit: per mean service time, or per second. */
function throughputLabel(unit: TimeUnit): string {
  return unit.scale === 1 ? "req per mean service time" : "req/s";
}

export function resultsTable(runs: readonly SweepRun[], keys: readonly SweepKey[], unit: TimeUnit, markdown: boolean): string {
  const perSecond = unit.scale === 1 ? 1 : 1e3 / unit.scale;
  const headers = [...keys, "requests", "throughput", "mean", "p50", "p95", "p99", "replica share min..max"];
  const rows = runs.map((run) => {
    const r = run.result;
    return [
      ...keys.map((k) => run.point[k] ?? ""),
      String(r.requests),
      num(r.throughput * perSecond),
      num(r.mean * unit.scale),
      num(r.p50 * unit.scale),
      num(r.p95 * unit.scale),
      num(r.p99 * unit.scale),
      `${r.loadSpread.min.toFixed(2)}..${r.loadSpread.max.toFixed(2)}`,
    ];
  });
  const note = `latency in ${unit.label}; throughput in ${throughputLabel(unit)}; percentiles within ±${(runs[0]?.result.percentileError ?? 0) * 100}%`;
  return `${formatTable(headers, rows, markdown)}\n${markdown ? `\n_${note}_` : note}\n`;
}

export function comparisonTable(comparisons: readonly Comparison[], key: SweepKey, restKeys: readonly SweepKey[], markdown: boolean): string {
  if (comparisons.length === 0) return "";
  const first = comparisons[0] as Comparison;
  const headers = [...restKeys, `${key}`, "mean ratio", "p95 ratio", "p99 ratio"];
  const rows = comparisons.map((c) => [
    ...restKeys.map((k) => c.rest[k] ?? ""),
    `${c.baseline} / ${c.other}`,
    c.meanRatio.toFixed(2),
    c.p95Ratio.toFixed(2),
    c.p99Ratio.toFixed(2),
  ]);
  const note = `ratio = ${key} ${first.baseline} latency / ${key} ${first.other} latency: above 1 means ${first.other} is faster`;
  return `${formatTable(headers, rows, markdown)}\n${markdown ? `\n_${note}_` : note}\n`;
}

/** Aligned plain-text columns, or a GitHub Markdown table. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], markdown: boolean): string {
  if (markdown) {
    const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
    return [line(headers), line(headers.map(() => "---:")), ...rows.map(line)].join("\n");
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Four significant digits: enough for latencies whose percentiles are good to 0.5 %. */
function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number(v.toPrecision(4)).toString();
}
