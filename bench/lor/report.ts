/** Turns results into a terminal table and plots (latency vs load, callers, proxies, replicas). */
import type { PlotSeries, PlotSpec } from "../../src/sim/plot.js";
import type { ScenarioResult } from "./scenario.js";
import type { Axis, Group } from "./sweeps.js";

export interface GroupResult {
  group: Omit<Group, "scenarios">;
  results: ScenarioResult[];
}

const fmt = (v: number | null, digits = 1): string => (v === null ? "-" : v.toFixed(digits));

/** One line per result: configuration, throughput, latency percentiles, errors, share spread and CPU. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ["config", "C", "R", "K", "rho", "rho*", "req/s", "mean", "p50", "p95", "p99", "err", "maxshare", "svc", "cpu hap%", "cpu be%", "cpu gen%"];
  const rows = results.map((r) => [
    r.label,
    String(r.scenario.callers),
    String(r.scenario.replicas),
    r.scenario.mode === "proxy" ? String(r.scenario.proxies) : "-",
    fmt(r.scenario.rho, 2),
    fmt(r.rhoMeasured, 2),
    fmt(r.throughput, 0),
    fmt(r.meanMs),
    fmt(r.p50Ms),
    fmt(r.p95Ms),
    fmt(r.p99Ms),
    String(r.errors),
    fmt(r.shareMaxOverMean, 2),
    fmt(r.serviceMeanMs),
    fmt(r.cpu.haproxyPct),
    fmt(r.cpu.backendsPct),
    fmt(r.cpu.loadgenPct),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

/** The legend of the table's columns, printed under it. */
export const TABLE_LEGEND =
  "latencies in ms from the scheduled send; rho* = achieved req/s x measured service time / replicas; " +
  "maxshare = largest replica share / mean share; svc = measured mean service time (ms); cpu = % of one core over the run";

function axisValue(r: ScenarioResult, axis: Axis): number {
  switch (axis) {
    case "rho":
      return r.scenario.rho;
    case "callers":
      return r.scenario.callers;
    case "proxies":
      return r.scenario.proxies;
    case "replicas":
      return r.scenario.replicas;
    case "none":
      return 0;
  }
}

const AXIS_LABEL: Record<Axis, string> = {
  rho: "offered load (utilisation rho)",
  callers: "callers",
  proxies: "proxies K",
  replicas: "replicas",
  none: "",
};

/** Plot specs for a group (mean and p95 each), or none for a group without an x axis. */
export function plotSpecs(g: GroupResult): Array<{ baseName: string; spec: PlotSpec }> {
  if (g.group.axis === "none") return [];
  const axis = g.group.axis;
  const byLabel = new Map<string, ScenarioResult[]>();
  // Along K, one series per policy: "global least-request" is the K = 1 point of "ProxyService least-request".
  const seriesName = (r: ScenarioResult): string =>
    axis === "proxies" && r.label === "global least-request" ? "ProxyService least-request" : r.label.replace(/ K=\d+$/, "");
  for (const r of g.results) byLabel.set(seriesName(r), [...(byLabel.get(seriesName(r)) ?? []), r]);
  const series = (pick: (r: ScenarioResult) => number): PlotSeries[] =>
    [...byLabel.entries()].map(([name, rs]) => ({
      name,
      points: rs.map((r) => [axisValue(r, axis), pick(r)] as const).sort((a, b) => a[0] - b[0]),
    }));
  const logX = axis === "callers" || axis === "proxies";
  return [
    {
      baseName: `latency-vs-${axis}-mean`,
      spec: { title: `${g.group.title}: mean`, xLabel: AXIS_LABEL[axis], yLabel: "mean latency (ms)", series: series((r) => r.meanMs), logX },
    },
    {
      baseName: `latency-vs-${axis}-p95`,
      spec: { title: `${g.group.title}: p95`, xLabel: AXIS_LABEL[axis], yLabel: "p95 latency (ms)", series: series((r) => r.p95Ms), logX },
    },
  ];
}
