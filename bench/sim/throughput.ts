/**
 * Simulator speed and memory benchmark (issue 5): 1,000,000 requests, C = 60 callers, R = 20
 * replicas, load 0.8, sidecar least-request (d = 2). Prints a summary and writes
 * bench/results/sim.json. Run: npx tsx bench/sim/throughput.ts [--repeats N]
 *
 * The simulator is single-threaded, so a run uses one core. Wall time is noisy on a shared
 * machine, so the run is repeated and the median and best are both reported.
 * Memory: heap and RSS are taken after a forced GC before and after runs of 1M and 4M requests;
 * streaming percentiles and a completion heap bounded by requests in flight mean they should not grow with N.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import { simulate } from "../../src/sim/simulate.js";

// A forced GC makes heap readings comparable; this exposes it without a node flag, so plain `npx tsx` works.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const repeatsArg = process.argv.indexOf("--repeats");
const repeats = repeatsArg > 0 ? Number(process.argv[repeatsArg + 1]) : 7;
const config: SimConfig = { ...DEFAULT_CONFIG, callers: 60, replicas: 20, load: 0.8, policy: "least-request", choices: 2, mode: "sidecar", seed: 1, requests: 1_000_000 };

function timeRun(requests: number): number {
  const start = process.hrtime.bigint();
  simulate({ ...config, requests });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function memory(): { heapUsedMiB: number; rssMiB: number } {
  gc();
  const m = process.memoryUsage();
  return { heapUsedMiB: round(m.heapUsed / 2 ** 20), rssMiB: round(m.rss / 2 ** 20) };
}

function round(v: number, digits = 2): number {
  return Number(v.toFixed(digits));
}

// Warm-up: let the JIT optimise the hot loop before timing it.
timeRun(200_000);
const wallMs = Array.from({ length: repeats }, () => round(timeRun(config.requests), 1));
const sorted = [...wallMs].sort((a, b) => a - b);
const medianMs = sorted[Math.floor(sorted.length / 2)] as number;
const bestMs = sorted[0] as number;

const memoryByRequests = [1_000_000, 4_000_000].map((requests) => {
  const before = memory();
  const ms = timeRun(requests);
  const after = memory();
  // maxRSS is the process's peak so far (KiB on Linux): if the 4M run does not raise it, memory did not grow with N.
  return { requests, wallMs: round(ms, 1), before, after, peakRssMiB: round(process.resourceUsage().maxRSS / 1024) };
});

const result = {
  benchmark: "proxy-service simulate: 1M requests, C=60, R=20, load 0.8, sidecar least-request d=2",
  command: "npx tsx bench/sim/throughput.ts",
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  config: { ...config },
  repeats,
  wallMs,
  medianMs,
  bestMs,
  requestsPerSecondMedian: Math.round(config.requests / (medianMs / 1e3)),
  requestsPerSecondBest: Math.round(config.requests / (bestMs / 1e3)),
  memory: memoryByRequests,
};

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "results", "sim.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`1M requests: median ${medianMs} ms, best ${bestMs} ms over ${repeats} runs (${result.requestsPerSecondMedian.toLocaleString("en")} req/s median)`);
for (const m of memoryByRequests) {
  console.log(`${m.requests.toLocaleString("en")} requests: ${m.wallMs} ms; heap ${m.before.heapUsedMiB} -> ${m.after.heapUsedMiB} MiB, rss ${m.before.rssMiB} -> ${m.after.rssMiB} MiB, peak rss ${m.peakRssMiB} MiB`);
}
console.log(`wrote ${relative(process.cwd(), out)}`);
