/**
 * The loopback testbed's one command. `npx tsx bench/lor/run.ts --sweep default` runs the report's
 * sweep (under 15 minutes); `--smoke` the test suite's (under 60 s). Prints a table per group and
 * writes `<out>/lor-<sweep>.json` and the plots (SVG and PNG) next to it.
 */
import { Command, InvalidArgumentError } from "commander";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writePlot } from "../../src/cli/plot-files.js";
import { parseService } from "./random.js";
import { formatTable, plotSpecs, TABLE_LEGEND } from "./report.js";
import type { ScenarioResult } from "./scenario.js";
import { disturbance, runSweep, type SweepOutput } from "./sweep.js";
import { choicesSweep, claimSweep, defaultSweep, failingSweep, type Group, smokeSweep } from "./sweeps.js";

const positive = (flag: string) => (text: string): number => {
  const v = Number(text);
  if (!(v > 0)) throw new InvalidArgumentError(`${flag} must be a positive number, got "${text}"`);
  return v;
};

const program = new Command("lor")
  .description("Loopback testbed: real HAProxy in sidecar and ProxyService layouts, open-loop load, latency and CPU")
  .option("--sweep <name>", "default | claim | choices | failing | smoke", "default")
  .option("--smoke", "same as --sweep smoke")
  .option("--scale <factor>", "multiply every duration of the default, claim and choices sweeps", positive("--scale"), 1)
  .option("--service <dist>", "service-time distribution of the claim sweep: exp, det, lognormal[:cv]", "exp")
  .option("--seed <n>", "seed of arrivals and service times for every configuration (default 1)", positive("--seed"))
  .option("--only <groups>", "comma-separated group names to run (load, callers, proxies, replicas, hop)")
  .option("--retry-disturbed <ms>", "run a configuration again (up to twice) when its p99 send lag exceeds <ms> or service times stretch > 5 %", positive("--retry-disturbed"))
  .option("--rerun-disturbed <ms>", "run again only the configurations of <out>/lor-<sweep>.json that other work disturbed (see --retry-disturbed), keeping the rest", positive("--rerun-disturbed"))
  .option("--resume", "reuse the results in <out>/lor-<sweep>.partial.json of an interrupted run")
  .option("--no-priority", "do not raise the scheduling priority (nice -10 for the process and its autogroup)")
  .option("--out <dir>", "where to write JSON and plots", join("bench", "results"))
  .showHelpAfterError();

program.parse(process.argv);
const opts = program.opts<{ sweep: string; smoke?: boolean; scale: number; only?: string; out: string; priority: boolean; resume?: boolean; service: string; seed?: number; retryDisturbed?: number; rerunDisturbed?: number }>();
const sweep = opts.smoke ? "smoke" : opts.sweep;
function sweepGroups(name: string): Group[] {
  if (name === "default") return defaultSweep(opts.scale);
  if (name === "smoke") return smokeSweep();
  if (name === "claim") return claimSweep(opts.scale, opts.service);
  if (name === "choices") return choicesSweep(opts.scale);
  if (name === "failing") return failingSweep(opts.scale);
  return program.error(`--sweep: unknown sweep "${name}"; use default, claim, choices, failing or smoke`);
}
let groups = sweepGroups(sweep);
if (opts.seed !== undefined) {
  const seed = Math.floor(opts.seed);
  groups = groups.map((g) => ({ ...g, scenarios: g.scenarios.map((s) => ({ ...s, seed })) }));
}
if (opts.only !== undefined) {
  const wanted = new Set(opts.only.split(","));
  groups = groups.filter((g) => wanted.has(g.name));
  if (groups.length === 0) program.error(`--only: no group named ${opts.only}`);
}
async function readPrevious(file: string): Promise<ScenarioResult[]> {
  try {
    const partial = JSON.parse(await readFile(file, "utf8")) as SweepOutput;
    return partial.groups.flatMap((g) => g.results);
  } catch {
    return [];
  }
}

const total = groups.reduce((n, g) => n + g.scenarios.length, 0);
console.log(`lor: sweep "${sweep}", ${groups.length} groups, ${total} configurations`);

await mkdir(opts.out, { recursive: true });
try {
  parseService(opts.service);
} catch (err) {
  program.error(err instanceof Error ? err.message : String(err));
}
if (opts.service !== "exp" && sweep !== "claim") program.error("--service: only the claim sweep takes another distribution");
const suffix =
  (opts.only === undefined ? "" : `-${opts.only.replaceAll(",", "-")}`) + (opts.service === "exp" ? "" : `-${opts.service.replace(":", "-")}`);
const partialFile = join(opts.out, `lor-${sweep}${suffix}.partial.json`);
const finalFile = join(opts.out, `lor-${sweep}${suffix}.json`);
const rerunLimit = opts.rerunDisturbed;
const previous =
  rerunLimit !== undefined
    ? (await readPrevious(finalFile)).filter((r) => disturbance(r, rerunLimit) === undefined)
    : opts.resume
      ? await readPrevious(partialFile)
      : [];
if (opts.resume) console.log(`resuming: ${previous.length} results reused from ${partialFile}`);
if (rerunLimit !== undefined) console.log(`rerunning disturbed configurations: ${previous.length} undisturbed results reused from ${finalFile}`);
const retryDisturbedMs = opts.retryDisturbed ?? rerunLimit;
const output = await runSweep(sweep, groups, {
  log: (line) => console.log(line),
  raisePriority: opts.priority,
  previous,
  ...(retryDisturbedMs === undefined ? {} : { retryDisturbedMs }),
  onProgress: (partial) => writeFile(partialFile, JSON.stringify(partial, null, 2) + "\n"),
});
const m = output.machine;
console.log(`\nmachine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.haproxy}, node ${m.node}, load average ${m.loadAverageAtStart.toFixed(1)}, scheduling ${m.priority}`);
for (const g of output.groups) {
  console.log(`\n== ${g.group.title}\n${formatTable(g.results)}`);
  for (const { baseName, spec } of plotSpecs(g)) {
    const files = await writePlot(opts.out, `lor-${sweep}-${baseName}`, spec);
    console.log(`plot: ${files.svg} ${files.png}`);
  }
}
console.log(`\n${TABLE_LEGEND}`);
const file = finalFile;
await writeFile(file, JSON.stringify(output, null, 2) + "\n");
console.log(`json: ${file}`);
await rm(partialFile, { force: true });
const errors = output.groups.flatMap((g) => g.results).reduce((n, r) => n + r.errors, 0);
if (errors > 0) {
  console.error(`lor: ${errors} request errors (see errorSamples in ${file})`);
  process.exitCode = 1;
}
