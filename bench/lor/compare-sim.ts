/**
 * Testbed vs simulator: runs `src/sim` on the configurations of a testbed JSON file, with the same
 * service-time distribution and HAProxy's draw semantics (random(2) draws with replacement), and prints
 * a table of both means and p95s. Usage: `npx tsx bench/lor/compare-sim.ts bench/results/lor-default.json`.
 *
 * Matching: the simulator's time unit is the *measured* mean service time of the testbed run (timers
 * fire a little off the drawn value), its load is the testbed's offered rate times that service time,
 * and the fixed overhead of the path (loopback, HAProxy, Node's HTTP stack) measured by the `hop`
 * group at low load is added to the simulator's latencies, since the simulator has no network. A
 * second file argument names the JSON whose `hop` group to use (the claim sweep has none).
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, basename } from "node:path";
import { writePlot } from "../../src/cli/plot-files.js";
import type { PlotSeries, PlotSpec } from "../../src/sim/plot.js";
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import type { ServiceSpec } from "../../src/sim/distributions.js";
import { simulate } from "../../src/sim/simulate.js";
import { parseService } from "./random.js";
import type { Scenario, ScenarioResult } from "./scenario.js";
import type { SweepOutput } from "./sweep.js";

export interface Comparison {
  group: string;
  /** The group's x value for this configuration (rho, callers, proxies or replicas). */
  x: number;
  label: string;
  callers: number;
  replicas: number;
  proxies: number;
  rho: number;
  simLoad: number;
  testbedMeanMs: number;
  simMeanMs: number;
  /** (testbed - simulator) / simulator on the mean. */
  meanDiff: number;
  testbedP95Ms: number;
  simP95Ms: number;
  p95Diff: number;
}

/** The simulator configuration that models testbed scenario `s`. Pure. */
export function simConfigFor(s: Scenario, load: number, requests: number): SimConfig {
  const service: ServiceSpec = parseService(s.service);
  const base = { ...DEFAULT_CONFIG, callers: s.callers, replicas: s.replicas, workers: s.workers, load, service, requests, seed: s.seed };
  if (s.policy === "random") return { ...base, policy: "random", choices: 1, mode: "global", proxies: 1 };
  const choices = { lr2: 2, lr4: 4, lrR: s.replicas, leastconn: "all" as const }[s.policy];
  const draws = "with-replacement" as const; // HAProxy's random(d)
  if (s.mode === "sidecar") return { ...base, policy: "least-request", choices, draws, mode: "sidecar" };
  return { ...base, policy: "least-request", choices, draws, mode: "proxy", proxies: s.proxies };
}

/**
 * Fixed path overhead in ms, from the proxied low-load run (deterministic service, random split): its
 * mean latency minus its measured service time minus the M/D/1 queueing that the simulator models
 * itself (Pollaczek-Khinchine: rho * S / (2 (1 - rho)) for deterministic S). What is left is the path:
 * loopback, HAProxy, Node's HTTP stack, and scheduling delays on the shared machine.
 */
export function pathOverheadMs(output: SweepOutput): number {
  const hop = output.groups.find((g) => g.group.name === "hop")?.results.find((r) => r.scenario.mode !== "direct");
  if (!hop) return 0;
  const rho = hop.rhoMeasured;
  const queueing = (rho * hop.serviceMeanMs) / (2 * (1 - rho));
  return Math.max(0, hop.meanMs - hop.serviceMeanMs - queueing);
}

/** Compares every result in `output` (except the low-load hop group) with the simulator. */
export function compare(output: SweepOutput, overhead: number, requests = 1_000_000): Comparison[] {
  const rows: Comparison[] = [];
  for (const g of output.groups) {
    if (g.group.name === "hop") continue;
    for (const r of g.results) rows.push(compareOne(g.group.name, xOf(g.group.axis, r.scenario), r, overhead, requests));
  }
  return rows;
}

function xOf(axis: string, s: Scenario): number {
  if (axis === "rho") return s.rho;
  if (axis === "callers") return s.callers;
  if (axis === "proxies") return s.proxies;
  if (axis === "replicas") return s.replicas;
  return 0;
}

function compareOne(group: string, x: number, r: ScenarioResult, overheadMs: number, requests: number): Comparison {
  const s = r.scenario;
  const unit = r.serviceMeanMs;
  const simLoad = (r.offeredRate * unit) / 1000 / (s.replicas * s.workers);
  const sim = simulate(simConfigFor(s, simLoad, requests));
  const simMeanMs = sim.mean * unit + overheadMs;
  const simP95Ms = sim.p95 * unit + overheadMs;
  return {
    group,
    x,
    label: r.label,
    callers: s.callers,
    replicas: s.replicas,
    proxies: s.proxies,
    rho: s.rho,
    simLoad,
    testbedMeanMs: r.meanMs,
    simMeanMs,
    meanDiff: (r.meanMs - simMeanMs) / simMeanMs,
    testbedP95Ms: r.p95Ms,
    simP95Ms,
    p95Diff: (r.p95Ms - simP95Ms) / simP95Ms,
  };
}

/** A markdown table of the comparisons. */
export function comparisonMarkdown(rows: readonly Comparison[]): string {
  const pct = (v: number): string => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(0)} %`;
  const lines = [
    "| group | configuration | C | R | K | rho | sim load | testbed mean | sim mean | diff | testbed p95 | sim p95 | diff |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ...rows.map(
      (c) =>
        `| ${c.group} | ${c.label} | ${c.callers} | ${c.replicas} | ${c.label.startsWith("ProxyService") ? c.proxies : "-"} | ${c.rho} | ${c.simLoad.toFixed(3)} | ` +
        `${c.testbedMeanMs.toFixed(1)} | ${c.simMeanMs.toFixed(1)} | ${pct(c.meanDiff)} | ${c.testbedP95Ms.toFixed(1)} | ${c.simP95Ms.toFixed(1)} | ${pct(c.p95Diff)} |`,
    ),
  ];
  return lines.join("\n");
}

/** Plot of testbed and simulator means along one group's axis, for the main policies. */
export function comparisonPlot(rows: readonly Comparison[], group: string, xLabel: string, title: string): PlotSpec {
  const main = ["random (shared)", "sidecar LR(2)", "ProxyService LR(2)", "global least-request"];
  const series: PlotSeries[] = [];
  for (const label of main) {
    const rs = rows.filter((c) => c.group === group && c.label === label).sort((a, b) => a.x - b.x);
    if (rs.length === 0) continue;
    series.push({ name: `${label}: testbed`, points: rs.map((c) => [c.x, c.testbedMeanMs] as const) });
    series.push({ name: `${label}: simulator`, points: rs.map((c) => [c.x, c.simMeanMs] as const) });
  }
  return { title, xLabel, yLabel: "mean latency (ms)", series, logX: group === "callers" };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: npx tsx bench/lor/compare-sim.ts <results.json> [<json with the hop group, default: the same>]");
  const output = JSON.parse(await readFile(file, "utf8")) as SweepOutput;
  const hopFile = process.argv[3] ?? file;
  const overhead = pathOverheadMs(JSON.parse(await readFile(hopFile, "utf8")) as SweepOutput);
  const rows = compare(output, overhead);
  console.log(`path overhead added to the simulator: ${overhead.toFixed(2)} ms (from the hop group of ${hopFile})`);
  console.log(comparisonMarkdown(rows));
  const within = rows.filter((c) => Math.abs(c.meanDiff) <= 0.15).length;
  console.log(`\nmeans within 15 %: ${within} of ${rows.length}`);
  const dir = dirname(file);
  const base = basename(file, ".json");
  for (const [group, xLabel, title] of [
    ["load", "offered load (utilisation rho)", "Testbed vs simulator: mean latency vs load"],
    ["callers", "callers", "Testbed vs simulator: mean latency vs callers"],
  ] as const) {
    if (!rows.some((c) => c.group === group)) continue;
    const files = await writePlot(dir, `${base}-vs-sim-${group}`, comparisonPlot(rows, group, xLabel, title));
    console.log(`plot: ${files.svg} ${files.png}`);
  }
  const out = file.replace(/\.json$/, "-sim.json");
  await writeFile(out, JSON.stringify({ source: file, overheadMs: overhead, rows }, null, 2) + "\n");
  console.log(`json: ${out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
