import type { SweepKey } from "./options.js";
import type { PlotSeries, PlotSpec } from "./plot.js";
import type { TimeUnit } from "./report.js";
import type { SweepAxis, SweepRun } from "./sweep.js";

/** The sweeps worth a plot: latency against each of these, when swept over two or more values. */
const PLOTTED: Readonly<Partial<Record<SweepKey, string>>> = {
  load: "load (utilisation per worker)",
  callers: "callers (C)",
  replicas: "replicas (R)",
  proxies: "proxies (K)",
};

export interface NamedPlot {
  readonly baseName: string;
  readonly spec: PlotSpec;
}

/**
 * Plot specs for a finished sweep: for each plotted axis, mean and p95 latency against it, one
 * line per combination of the other swept options. Pure; src/cli/plot-files.ts writes them.
 */
export function sweepPlots(runs: readonly SweepRun[], axes: readonly SweepAxis[], unit: TimeUnit): NamedPlot[] {
  const plots: NamedPlot[] = [];
  for (const axis of axes) {
    const xLabel = PLOTTED[axis.key];
    if (xLabel === undefined || axis.values.length < 2) continue;
    const xs = axis.values.map(Number);
    if (xs.some((x) => !Number.isFinite(x))) continue;
    const others = axes.filter((a) => a.key !== axis.key).map((a) => a.key);
    // Callers span decades (10 to 300): a log axis keeps the small values apart.
    const logX = Math.max(...xs) / Math.min(...xs) >= 10;
    for (const stat of ["mean", "p95"] as const) {
      plots.push({
        baseName: `${stat}-latency-vs-${axis.key}`,
        spec: {
          title: `${stat === "mean" ? "Mean" : "p95"} latency vs ${axis.key}`,
          xLabel,
          yLabel: `${stat} latency (${unit.label})`,
          series: seriesFor(runs, axis.key, others, stat, unit),
          logX,
        },
      });
    }
  }
  return plots;
}

function seriesFor(runs: readonly SweepRun[], key: SweepKey, others: readonly SweepKey[], stat: "mean" | "p95", unit: TimeUnit): PlotSeries[] {
  const lines = new Map<string, Array<readonly [number, number]>>();
  for (const run of runs) {
    const name = others.length === 0 ? "simulated" : others.map((k) => `${k}=${run.point[k] ?? ""}`).join(", ");
    const points = lines.get(name) ?? [];
    points.push([Number(run.point[key]), run.result[stat] * unit.scale]);
    lines.set(name, points);
  }
  return [...lines].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) }));
}
