/**
 * The fast-failing replica, testbed vs simulator (issue 19): runs `src/sim` on the configurations of
 * `bench/results/lor-failing.json` (30 callers, 10 replicas, rho 0.8, the last replica answering 503
 * in 1 ms, with and without HAProxy's outlier detection) and prints the share of failed requests and
 * the mean latency of both, as markdown. Writes `<file>-sim.json` beside it.
 * Usage: npx tsx bench/lor/compare-failing.ts bench/results/lor-failing.json [bench/results/lor-default.json]
 *
 * Matching as in compare-sim.ts (time unit = the measured mean service time, the fixed path
 * overhead from the default sweep's hop group added to the simulator's latencies), plus: the same
 * number of requests and warm-up as the testbed run, so the simulated time and with it the number
 * of ejection rounds are the same; HAProxy's error-limit as consecutive errors and its check
 * interval as a fixed ejection time (HAProxy does not lengthen repeated ejections; base = max);
 * at most 10 % of the 10 replicas out, so one, as HAProxy here (only one replica fails). The
 * simulator is averaged over SEEDS, since one testbed run is one draw.
 */
import { readFile, writeFile } from "node:fs/promises";
import { simulate } from "../../src/sim/simulate.js";
import { pathOverheadMs, simConfigFor } from "./compare-sim.js";
import type { ScenarioResult } from "./scenario.js";
import type { SweepOutput } from "./sweep.js";

const SEEDS = [1, 2, 3, 4, 5];

export interface FailingComparison {
  label: string;
  outlierDetection: boolean;
  testbedFailed: number;
  simFailed: number;
  testbedMeanMs: number;
  simMeanMs: number;
}

function compareOne(r: ScenarioResult, overheadMs: number): FailingComparison {
  const s = r.scenario;
  const unit = r.serviceMeanMs;
  const load = (r.offeredRate * unit) / 1000 / (s.replicas * s.workers);
  const failing = s.failing ?? { count: 0, rate: 1, ms: 1 };
  const od = s.outlierDetection;
  const runs = SEEDS.map((seed) =>
    simulate({
      ...simConfigFor(s, load, s.requests),
      seed,
      warmupFraction: s.warmup / s.requests,
      failing: { count: failing.count, rate: failing.rate, time: failing.ms / unit },
      outlierDetection: od === undefined ? null : { consecutiveErrors: od.errorLimit, baseEjectionTime: od.ejectionMs / unit, maxEjectionTime: od.ejectionMs / unit, maxEjectionPercent: 10 },
    }),
  );
  const avg = (f: (x: (typeof runs)[number]) => number): number => runs.reduce((a, x) => a + f(x), 0) / runs.length;
  return {
    label: r.label,
    outlierDetection: od !== undefined,
    testbedFailed: r.failedFraction,
    simFailed: avg((x) => x.failedFraction),
    testbedMeanMs: r.meanMs,
    simMeanMs: avg((x) => x.mean) * unit + overheadMs,
  };
}

export function failingMarkdown(rows: readonly FailingComparison[]): string {
  const pct = (v: number): string => `${(100 * v).toFixed(2)} %`;
  return [
    "| configuration | outlier detection | testbed failed | simulator failed | testbed mean (ms) | simulator mean (ms) |",
    "|---|---|--:|--:|--:|--:|",
    ...rows.map((c) => `| ${c.label} | ${c.outlierDetection ? "on" : "off"} | ${pct(c.testbedFailed)} | ${pct(c.simFailed)} | ${c.testbedMeanMs.toFixed(1)} | ${c.simMeanMs.toFixed(1)} |`),
  ].join("\n");
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: npx tsx bench/lor/compare-failing.ts <lor-failing.json> [<json with the hop group, default bench/results/lor-default.json>]");
  const output = JSON.parse(await readFile(file, "utf8")) as SweepOutput;
  const hopFile = process.argv[3] ?? "bench/results/lor-default.json";
  const overhead = pathOverheadMs(JSON.parse(await readFile(hopFile, "utf8")) as SweepOutput);
  const rows = output.groups.flatMap((g) => g.results.map((r) => compareOne(r, overhead)));
  console.log(`path overhead added to the simulator: ${overhead.toFixed(2)} ms (from the hop group of ${hopFile}); simulator averaged over seeds ${SEEDS.join(", ")}`);
  console.log(failingMarkdown(rows));
  const out = file.replace(/\.json$/, "-sim.json");
  await writeFile(out, JSON.stringify({ source: file, overheadMs: overhead, seeds: SEEDS, rows }, null, 2) + "\n");
  console.log(`json: ${out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
