import type { SimConfig } from "./config.js";
import { formatTable, type TimeUnit } from "./report.js";
import type { SimResult } from "./simulate.js";

/** One line of `simulate --compare`: a way to balance, and the configuration that simulates it. */
export interface CompareSetup {
  /** Short stable key, for --json and the docs' tables. */
  readonly key: string;
  readonly label: string;
  readonly config: SimConfig;
}

/**
 * The ways to balance `base`'s traffic that `--compare` puts side by side (issue 19): what every
 * caller's sidecar can do on its own (Istio's default two choices, peak EWMA, ORCA weighted round
 * robin, Prequal), and a ProxyService with one proxy (two choices, the default, and a full scan)
 * and, when base.proxies is above 1, with that many. The shape (callers, replicas, load, service
 * times, failures, outlier detection, hop latency) is base's; its policy, choices and mode are
 * replaced. Pure.
 */
export function compareSetups(base: SimConfig): CompareSetup[] {
  const sidecar = (key: string, label: string, over: Partial<SimConfig>): CompareSetup => ({ key, label, config: { ...base, mode: "sidecar", choices: 2, ...over } });
  const proxy = (k: number, choices: 2 | "all"): CompareSetup => ({
    key: `proxy${k}-${choices === 2 ? "two-choices" : "full-scan"}`,
    label: `${k === 1 ? "one proxy" : `${k} proxies`}, ${choices === 2 ? "two choices" : "full scan"}`,
    config: { ...base, mode: "proxy", proxies: k, policy: "least-request", choices },
  });
  const setups = [
    sidecar("sidecar-two-choices", "sidecar, two choices (Istio's default)", { policy: "least-request" }),
    sidecar("sidecar-peak-ewma", "sidecar, peak EWMA", { policy: "peak-ewma" }),
    sidecar("sidecar-orca-wrr", "sidecar, ORCA weighted round robin", { policy: "orca-wrr" }),
    sidecar("sidecar-prequal", "sidecar, Prequal", { policy: "prequal" }),
    proxy(1, 2),
    proxy(1, "all"),
  ];
  if (base.proxies > 1) setups.push(proxy(base.proxies, 2), proxy(base.proxies, "all"));
  return setups;
}

/** The --compare table: latency of each setup and, against the first (the sidecars' default), the ratio of means. */
export function compareTable(rows: ReadonlyArray<{ readonly setup: CompareSetup; readonly result: SimResult }>, unit: TimeUnit, markdown: boolean): string {
  const baseline = rows[0]?.result.mean ?? Number.NaN;
  const withFailures = rows.some((r) => r.result.failedFraction > 0 || r.result.ejections > 0);
  const headers = ["setup", "mean", "p95", "p99", ...(withFailures ? ["failed", "ejections"] : []), "sidecar default / this (mean)"];
  const body = rows.map(({ setup, result }) => [
    setup.label,
    num(result.mean * unit.scale),
    num(result.p95 * unit.scale),
    num(result.p99 * unit.scale),
    ...(withFailures ? [`${(100 * result.failedFraction).toFixed(2)} %`, String(result.ejections)] : []),
    (baseline / result.mean).toFixed(2),
  ]);
  const note = `latency in ${unit.label}${withFailures ? " over the successful requests; failed = share of requests answered with an error" : ""}; above 1 in the last column: faster than the sidecars' default`;
  return `${formatTable(headers, body, markdown)}\n${markdown ? `\n_${note}_` : note}\n`;
}

function num(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}
