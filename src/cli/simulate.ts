import { Command, Option } from "commander";
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { ConfigError, type SimConfig } from "../sim/config.js";
import { type FileNumbers, OptionError, parseOptions, parseSweep, type RawOptions, SWEEP_KEYS } from "../sim/options.js";
import { comparisonTable, resultsTable, timeUnit, type TimeUnit } from "../sim/report.js";
import { simulate, type SimResult } from "../sim/simulate.js";
import { compareBy, expandSweep, type SweepAxis, type SweepPoint, type SweepRun } from "../sim/sweep.js";
import { sweepPlots } from "../sim/sweep-plots.js";
import { writePlot } from "./plot-files.js";
import { affordableProxies } from "../sim/afford.js";
import { compareSetups, compareTable } from "../sim/compare.js";
import { formatTable } from "../sim/report.js";
import { cpuCores, ENVOY_CORES_PER_1000_RPS_ESTIMATE, proxyScaleOutRps } from "../api/sizing.js";

/** Where the command prints; tests pass their own. */
export interface SimulateIo {
  readonly out: (text: string) => void;
}

// Options that map one-to-one to SimConfig fields, by flag name; parseOptions does the checking,
// so commander only collects strings and every error message comes from one place.
const VALUE_FLAGS: ReadonlyArray<readonly [flag: string, arg: string, help: string]> = [
  ["callers", "C", "callers, each with its own sidecar balancer (default 60)"],
  ["replicas", "R", "replicas of the called service (default 20)"],
  ["workers", "W", "workers per replica, sharing one FIFO queue (default 1)"],
  ["load", "RHO", "utilisation per worker, above 0 and below 1 (default 0.8)"],
  ["policy", "NAME", "random | round-robin | least-request | peak-ewma | orca-wrr | prequal (default least-request)"],
  ["choices", "D", 'least-request candidates per request, or "all" for the shortest queue of its view (default 2)'],
  ["draws", "HOW", "least-request candidates drawn with replacement (independently, as Envoy and HAProxy random(2) do; default) or without (distinct)"],
  ["mode", "MODE", "sidecar (a balancer per caller) | proxy (K shared balancers) | global (one balancer, no hop; with --choices all the lower bound) (default sidecar)"],
  ["proxies", "K", "shared proxies in proxy mode; each request goes to one at random (default 1)"],
  ["service", "DIST", "service time: exp | det | lognormal[:cv] (cv default 1) | file:PATH (one sample per line) (default exp)"],
  ["service-mean", "TIME", "the mean service time in real units (e.g. 20ms); lets other times carry units and prints ms"],
  ["arrivals", "SRC", "poisson, or PATH of a file of arrival times (its gaps are rescaled to --load) (default poisson)"],
  ["hop-latency", "TIME", "extra round trip through a proxy, added in proxy mode (default 0)"],
  ["requests", "N", "requests to simulate per configuration (default 200000)"],
  ["warmup", "FRACTION", "leading fraction of requests left out of the statistics (default 0.05)"],
  ["seed", "S", "seed of the random generator; equal seeds give equal results (default 1)"],
  ["slow-replicas", "N", "replicas that serve --slowdown times slower, a noisy neighbour (default 0)"],
  ["slowdown", "F", "how much slower the slow replicas are (default 3)"],
  ["failing-replicas", "N", "replicas that fail fast: they answer --failure-rate of their requests with an error after --failure-time (default 0)"],
  ["failure-rate", "P", "share of a failing replica's requests that fail (default 1)"],
  ["failure-time", "TIME", "how fast a failing replica answers with an error (default 1ms)"],
  ["outlier-detection", "on|off", "Envoy's consecutive-5xx outlier detection at every balancer (default off, as in a DestinationRule without it)"],
  ["consecutive-errors", "N", "errors in a row that eject a replica (default 5, Envoy's)"],
  ["base-ejection-time", "TIME", "ejection time, multiplied by the times ejected (default 30s, Envoy's)"],
  ["max-ejection-time", "TIME", "the longest ejection (default 300s, Envoy's)"],
  ["max-ejection-percent", "PCT", "most replicas ejected at once, in percent; one may always go (default 10, Envoy's)"],
  ["ewma-decay", "TIME", "peak EWMA: time constant of the latency average (default 10s, Envoy's and Linkerd's)"],
  ["ewma-default-rtt", "TIME", "peak EWMA: latency assumed before a replica answers (default 30ms, Linkerd's)"],
  ["orca-update-period", "TIME", "ORCA round robin: weight update period and the replicas' reporting window (default 1s, Envoy's)"],
  ["orca-blackout", "TIME", "ORCA round robin: reports needed for this long before a weight is used (default 10s, Envoy's)"],
  ["orca-error-penalty", "X", "ORCA round robin: error_utilization_penalty (default 1, Envoy's)"],
  ["prequal-probes", "X", "Prequal: probes per request (default 3)"],
  ["prequal-pool", "N", "Prequal: most probe results kept (default 16)"],
  ["prequal-reuse", "N", "Prequal: requests one probe result may serve (default 1)"],
  ["prequal-max-age", "TIME", "Prequal: oldest probe result used (default 1s)"],
  ["prequal-hot-quantile", "Q", "Prequal: a replica is hot above this quantile of probed requests in flight (default 0.84)"],
];

/** `proxy-service simulate`: the load-balancing simulator (src/sim) behind a command line. */
export function simulateCommand(io: SimulateIo = { out: (t) => process.stdout.write(t) }): Command {
  const command = new Command("simulate")
    .description("simulate load balancing over replicas: sidecar least-request vs shared proxies (ProxyService) vs global")
    .addHelpText(
      "after",
      `
Times (--hop-latency) are in units of the mean service time: 0.05 is 5 % of it. A time with a
unit (ns, us, ms, s) needs --service-mean, e.g. --service-mean 20ms --hop-latency 1ms; latency
is then printed in ms and throughput in req/s. The arrival rate follows from the load:
lambda = load x replicas x workers / mean service time. The policies' and outlier detection's
timers are wall-clock times in the real proxies: without --service-mean they are converted
with an assumed mean service time of 20 ms.

--compare prints one table of every way to balance this shape: the sidecars' own policies
(two choices, peak EWMA, ORCA weighted round robin, Prequal) and one proxy (two choices, full
scan), and K proxies with --proxies K.

--sweep KEY=V1,V2,... (repeatable) runs every combination; KEY is one of
${SWEEP_KEYS.join(", ")}.
Sweeping mode adds a table of latency ratios (first mode / others).
With --out DIR, plots of latency vs load, callers, replicas and proxies are written as SVG + PNG.

Examples:
  proxy-service simulate --callers 60 --replicas 20 --load 0.8
  proxy-service simulate --compare --callers 60 --replicas 20 --load 0.8 --proxies 4
  proxy-service simulate --compare --failing-replicas 1 --outlier-detection on
  proxy-service simulate --sweep mode=sidecar,proxy --sweep callers=10,30,100,300 --out plots`,
    );
  for (const [flag, arg, help] of VALUE_FLAGS) command.option(`--${flag} <${arg}>`, help);
  command
    .addOption(new Option("--sweep <KEY=V1,V2>", "vary an option over values (repeatable)").argParser(collect))
    .option("--out <DIR>", "write plots of the sweep (SVG and PNG) into DIR")
    .option("--json", "print one JSON object per configuration, one per line")
    .option("--markdown", "print tables as Markdown")
    .option("--compare", "compare the sidecars' policies with one proxy and K proxies for this shape (one table per sweep point)")
    .option("--proxy-choices <D>", 'least-request candidates of the proxies only (proxy and global modes), e.g. "all" against the sidecars\' --choices 2 (default: --choices)')
    .option("--afford", "how many proxies can I afford: the gain over sidecar kept for K = 1..32 proxies, and the most that keep --keep of it")
    .option("--keep <FRACTION>", "with --afford: the share of the one-proxy gain that must be kept (default 0.5)")
    .option("--rate <REQ_PER_S>", "with --afford: the request rate, to say how many proxies the autoscaler will run for it")
    .option("--cpu-request <CPU>", "with --afford and --rate: the proxies' CPU request (default 500m, the operator's default)")
    .option("--target-cpu <PERCENT>", "with --afford and --rate: the autoscaler's target CPU utilisation (default 80, the operator's default)")
    // Commander's own usage errors (unknown flag, missing value) exit with 1; they are bad input
    // like the ones parseOptions reports, so they get the same exit code 2.
    .exitOverride((err) => process.exit(err.exitCode === 1 ? 2 : err.exitCode))
    .action(async (opts: Record<string, unknown>) => {
      // The image starts node with --max-opt=1, which suits the operator (Dockerfile); the simulator computes,
      // and without TurboFan it ran 6x slower (1 M requests: 0.39 against 2.26 s).
      setFlagsFromString("--turbofan");
      try {
        if (opts["afford"] === true) runAfford(opts, io);
        else await run(opts, io);
      } catch (err) {
        if (err instanceof OptionError) command.error(`error: ${err.message}`, { exitCode: 2, code: "simulate.option" });
        if (err instanceof ConfigError) command.error(`error: --${flagOf(err.field)}: ${err.problem}; ${err.fix}`, { exitCode: 2, code: "simulate.option" });
        throw err;
      }
    });
  return command;
}

/**
 * --afford: the gain over the sidecars that K proxies keep, for K = 1..32 (every other option as
 * usual, --mode and --proxies aside), the most proxies that keep --keep of it, and with --rate
 * how many proxies the autoscaler runs for that rate at the given CPU request and target.
 */
function runAfford(opts: Record<string, unknown>, io: SimulateIo): void {
  if (opts["sweep"] !== undefined) throw new OptionError("afford", "cannot be combined with --sweep", "run --afford once per configuration");
  const raw = rawOptions(opts);
  const config = parseOptions(raw, readFiles([raw])).config;
  const proxyChoices = typeof opts["proxyChoices"] === "string" ? parseProxyChoices(opts["proxyChoices"]) : config.choices;
  const keep = fraction("keep", opts["keep"], 0.5);
  const answer = affordableProxies(config, keep, undefined, proxyChoices);
  const rows = answer.rows.map((r) => [String(r.proxies), r.mean.toFixed(3), r.p95.toFixed(3), r.ratio.toFixed(2), `${Math.round(100 * r.gainKept)} %`]);
  io.out(formatTable(["proxies", "mean", "p95", "sidecar / proxy (mean)", "gain kept"], rows, opts["markdown"] === true));
  const choices = `${String(config.choices)} (sidecars) / ${String(proxyChoices)} (proxies)`;
  io.out(
    `\nC=${config.callers} R=${config.replicas} load=${config.load} choices=${choices}: sidecar mean ${answer.sidecarMean.toFixed(3)}; ` +
      `up to ${answer.affordable} proxies keep at least ${Math.round(100 * keep)} % of the one-proxy gain (latency in units of the mean service time)\n`,
  );
  if (typeof opts["rate"] !== "string") return;
  const rate = Number(opts["rate"]);
  if (!(rate > 0)) throw new OptionError("rate", `must be a positive number of requests per second (got "${opts["rate"]}")`, "e.g. --rate 580");
  const cpu = typeof opts["cpuRequest"] === "string" ? opts["cpuRequest"] : "500m";
  const target = typeof opts["targetCpu"] === "string" ? Number(opts["targetCpu"]) : 80;
  if (!(target > 0 && target <= 100)) throw new OptionError("target-cpu", `must be a percentage in (0, 100] (got "${String(opts["targetCpu"])}")`, "e.g. --target-cpu 80");
  let perProxy: number;
  try {
    perProxy = proxyScaleOutRps(cpu, target);
  } catch {
    throw new OptionError("cpu-request", `"${cpu}" is not a CPU quantity`, "e.g. 500m or 1");
  }
  const needed = Math.max(1, Math.ceil(rate / perProxy));
  io.out(
    `at ${rate} req/s with a CPU request of ${cpu} (${cpuCores(cpu)} cores) and target ${target} %, one proxy carries about ${Math.round(perProxy)} req/s ` +
      `(Envoy estimated at ${ENVOY_CORES_PER_1000_RPS_ESTIMATE} cores per 1,000 req/s), so the autoscaler runs about ${needed} ` +
      `${needed === 1 ? "proxy" : "proxies"}: ${needed <= answer.affordable ? "affordable" : `more than ${answer.affordable}; raise the CPU request so each proxy carries more`}\n`,
  );
}

function parseProxyChoices(value: string): SimConfig["choices"] {
  try {
    return parseOptions({ choices: value }).config.choices;
  } catch (err) {
    if (err instanceof OptionError) throw new OptionError("proxy-choices", `"${value}" is not a number of candidates`, 'use a whole number >= 1 or "all"');
    throw err;
  }
}

function fraction(flag: string, value: unknown, fallback: number): number {
  if (typeof value !== "string") return fallback;
  const v = Number(value);
  if (!(v > 0 && v < 1)) throw new OptionError(flag, `must be a fraction above 0 and below 1 (got "${value}")`, "e.g. 0.5");
  return v;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** --compare: every setup of compareSetups for each sweep point, as a table (or JSON lines with the setup's key). */
function runCompare(parsed: ReadonlyArray<{ point: SweepPoint; config: SimConfig; serviceMeanSeconds: number | null }>, opts: Record<string, unknown>, io: SimulateIo): void {
  if (opts["proxyChoices"] !== undefined) throw new OptionError("proxy-choices", "cannot be combined with --compare", "--compare already shows two choices and a full scan in the proxies");
  const unit = timeUnit(parsed[0]?.serviceMeanSeconds ?? null);
  const markdown = opts["markdown"] === true;
  for (const [i, p] of parsed.entries()) {
    const rows = compareSetups(p.config).map((setup) => ({ setup, result: simulate(setup.config) }));
    if (opts["json"] === true) {
      for (const { setup, result } of rows) io.out(`${JSON.stringify({ ...jsonRecord(setup.config, p.point, result, unit.scale, unit.label), setup: setup.key })}\n`);
      continue;
    }
    const c = p.config;
    const shape = `${c.callers} callers, ${c.replicas} replicas, load ${c.load}${c.failing.count > 0 ? `, ${c.failing.count} failing (${c.failing.rate * 100} %)` : ""}${c.slow.count > 0 ? `, ${c.slow.count} slow (x${c.slow.factor})` : ""}, outlier detection ${c.outlierDetection === null ? "off" : "on"}`;
    io.out(`${i > 0 ? "\n" : ""}${markdown ? `**${shape}**\n\n` : `${shape}\n`}${compareTable(rows, unit, markdown)}`);
  }
}

async function run(opts: Record<string, unknown>, io: SimulateIo): Promise<void> {
  const raw = rawOptions(opts);
  const axes: SweepAxis[] = ((opts["sweep"] as string[] | undefined) ?? []).map(parseSweep);
  const keys = axes.map((a) => a.key);
  if (new Set(keys).size !== keys.length) throw new OptionError("sweep", "a key is swept twice", "give all its values in one --sweep KEY=...");
  const files = readFiles([raw, ...axes.flatMap((a) => a.values.map((v) => ({ [a.key]: v })))]);
  const points = expandSweep(axes);
  // Parse every configuration before running any, so a bad sweep value fails at once.
  const proxyChoices = typeof opts["proxyChoices"] === "string" ? parseProxyChoices(opts["proxyChoices"]) : undefined;
  const parsed = points.map((point) => {
    const p = parseOptions({ ...raw, ...point }, files);
    // The proxies' own candidates (spec.leastRequest.choices), while the callers' sidecars keep --choices.
    return { point, ...p, config: proxyChoices === undefined || p.config.mode === "sidecar" ? p.config : { ...p.config, choices: proxyChoices } };
  });
  if (opts["compare"] === true) {
    runCompare(parsed, opts, io);
    return;
  }
  const unit = timeUnit(parsed[0]?.serviceMeanSeconds ?? null);
  const runs: SweepRun[] = [];
  for (const p of parsed) {
    const result = simulate(p.config);
    runs.push({ point: p.point, result });
    if (opts["json"] === true) io.out(`${JSON.stringify(jsonRecord(p.config, p.point, result, unit.scale, unit.label))}\n`);
  }
  if (opts["json"] !== true) printTables(runs, axes, unit, opts["markdown"] === true, io);
  if (typeof opts["out"] === "string") {
    for (const plot of sweepPlots(runs, axes, unit)) {
      const written = await writePlot(opts["out"], plot.baseName, plot.spec);
      if (opts["json"] !== true) io.out(`wrote ${written.svg} and ${written.png}\n`);
    }
  }
}

function printTables(runs: readonly SweepRun[], axes: readonly SweepAxis[], unit: TimeUnit, markdown: boolean, io: SimulateIo): void {
  const keys = axes.map((a) => a.key);
  io.out(resultsTable(runs, keys, unit, markdown));
  const mode = axes.find((a) => a.key === "mode");
  if (mode !== undefined && mode.values.length > 1) {
    const restKeys = keys.filter((k) => k !== "mode");
    io.out(`\n${comparisonTable(compareBy(runs, "mode", mode.values), "mode", restKeys, markdown)}`);
  }
}

/** One configuration and its results for --json; times in the printed unit, file contents as counts. */
function jsonRecord(config: SimConfig, point: SweepPoint, result: SimResult, scale: number, unit: string): Record<string, unknown> {
  const t = (v: number): number => v * scale;
  return {
    ...config,
    service: config.service.kind === "empirical" ? { kind: "empirical", samples: config.service.samples.length } : config.service,
    arrivals: config.arrivals.kind === "trace" ? { kind: "trace", times: config.arrivals.times.length } : config.arrivals,
    hopLatency: t(config.hopLatency),
    swept: point,
    unit,
    simulatedRequests: config.requests,
    requests: result.requests,
    throughput: scale === 1 ? result.throughput : (result.throughput * 1e3) / scale,
    mean: t(result.mean),
    p50: t(result.p50),
    p95: t(result.p95),
    p99: t(result.p99),
    p999: t(result.p999),
    max: t(result.max),
    percentileError: result.percentileError,
    loadSpread: result.loadSpread,
    failedFraction: result.failedFraction,
    ejections: result.ejections,
  };
}

function rawOptions(opts: Record<string, unknown>): RawOptions {
  const raw: Record<string, string> = {};
  for (const [flag] of VALUE_FLAGS) {
    const v = opts[camel(flag)];
    if (typeof v === "string") raw[flag] = v;
  }
  return raw;
}

/** Reads the files named by --service file:PATH and --arrivals PATH (in any configuration) as numbers, one per line. */
function readFiles(options: readonly RawOptions[]): FileNumbers {
  const files = new Map<string, number[]>();
  for (const o of options) {
    const service = o["service"]?.trim();
    if (service?.startsWith("file:")) files.set(service.slice(5), readNumbers("service", service.slice(5)));
    const arrivals = o["arrivals"]?.trim();
    if (arrivals !== undefined && arrivals !== "poisson") files.set(arrivals, readNumbers("arrivals", arrivals));
  }
  return files;
}

function readNumbers(flag: string, path: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new OptionError(flag, `cannot read "${path}" (${(err as Error).message})`, "check the path");
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const numbers = lines.map(Number);
  const bad = numbers.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new OptionError(flag, `"${path}" has "${lines[bad]}", not a number`, "give one number per line (lines starting with # are skipped)");
  return numbers;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** ConfigError fields whose flag is not the field in kebab case. */
const CONFIG_FIELD_FLAGS: Readonly<Record<string, string>> = {
  ewmaDecay: "ewma-decay",
  ewmaDefaultRtt: "ewma-default-rtt",
  orcaUpdatePeriod: "orca-update-period",
  orcaBlackout: "orca-blackout",
  orcaExpiration: "orca-update-period",
  orcaErrorPenalty: "orca-error-penalty",
  prequalProbes: "prequal-probes",
  prequalPool: "prequal-pool",
  prequalReuse: "prequal-reuse",
  prequalHotQuantile: "prequal-hot-quantile",
  prequalMaxAge: "prequal-max-age",
};

/** The CLI flag for a SimConfig field named in a ConfigError. */
function flagOf(field: string): string {
  if (field === "warmupFraction") return "warmup";
  const renamed = CONFIG_FIELD_FLAGS[field];
  if (renamed !== undefined) return renamed;
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
