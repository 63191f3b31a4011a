/** One testbed configuration: what it is, how to run it, and what it measured. */
import { type RunningBackends, freePorts, startBackends } from "./backends.js";
import { processCpuSeconds } from "./children.js";
import { type Balance, balanceLine, type BalancerSection, type HaproxyOutlierDetection } from "./haproxy-config.js";
import { type RunningHaproxy, startHaproxy } from "./haproxy.js";
import { runLoad } from "./load.js";
import { summarize } from "./summary.js";

/**
 * Where balancing happens. `direct`: no balancer, the caller picks a replica at random itself (the
 * baseline for the cost of the extra hop). `sidecar`: one HAProxy backend section per caller, caller i
 * only through its own. `proxy`: all callers through K shared sections, each request to one at random.
 */
export type Mode = "direct" | "sidecar" | "proxy";

/**
 * HAProxy's algorithm: `random` = random(1), `lr2` = random(2) (least-request of 2), `lr4` =
 * random(4), `leastconn` = full least-request (Envoy's FULL_SCAN, `choices: All`), `lrR` =
 * random(R), R draws per request: a balancer whose cost per request grows linearly with R, as a
 * full scan's does (HAProxy's own leastconn keeps its servers in a tree, O(log R)).
 */
export type Policy = "random" | "lr2" | "lr4" | "leastconn" | "lrR";

export interface Scenario {
  mode: Mode;
  policy: Policy;
  callers: number;
  replicas: number;
  workers: number;
  /** Target utilisation of the replicas (offered load / capacity). */
  rho: number;
  /** Number of shared balancers in `proxy` mode. */
  proxies: number;
  /** Mean service time, ms. */
  meanMs: number;
  /** `exp`, `det` or `lognormal[:cv]`. */
  service: string;
  requests: number;
  warmup: number;
  seed: number;
  /** The last `count` replicas answer a share `rate` of their requests with 503 after `ms`. */
  failing?: { count: number; rate: number; ms: number };
  /** HAProxy's observe layer7 / error-limit / on-error mark-down on every balancer's servers. */
  outlierDetection?: HaproxyOutlierDetection;
}

export interface ScenarioResult {
  scenario: Scenario;
  label: string;
  /** HAProxy algorithm line used, or "none". */
  balance: string;
  offeredRate: number;
  throughput: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  measured: number;
  /** Share of measured requests answered with a 5xx by a failing replica (latencies cover the others). */
  failedFraction: number;
  errors: number;
  errorSamples: string[];
  /** Fraction of measured requests per replica. */
  shares: number[];
  /** Largest share over the mean share (1 = perfectly even). */
  shareMaxOverMean: number;
  /** Mean service time the replicas actually spent (timer lateness included), ms. */
  serviceMeanMs: number;
  /** Utilisation implied by the achieved throughput and the measured service time. */
  rhoMeasured: number;
  /** CPU use over the load period, percent of one core. */
  cpu: { haproxyPct: number | null; backendsPct: number | null; loadgenPct: number };
  /** HAProxy CPU per 1,000 requests/s, in percent of one core (null without a balancer). */
  haproxyPctPer1000Rps: number | null;
  sendLagP99Ms: number;
  wallSeconds: number;
  /** Runs it took to get an undisturbed one (see SweepOptions.retryDisturbedMs); absent when the first was kept. */
  attempts?: number;
}

/** HAProxy's algorithm for a policy (random(R) needs the number of replicas). */
export function balanceFor(policy: Policy, replicas: number): Balance {
  const table: Record<Policy, Balance> = { random: "random1", lr2: "random2", lr4: "random4", leastconn: "leastconn", lrR: `random${replicas}` };
  return table[policy];
}

/** A short, stable name for tables and plot legends. */
export function scenarioLabel(s: Pick<Scenario, "mode" | "policy" | "proxies">): string {
  const policy = { random: "random", lr2: "LR(2)", lr4: "LR(4)", leastconn: "least-request", lrR: "LR(R)" }[s.policy];
  if (s.mode === "direct") return `direct ${policy} (no proxy)`;
  if (s.mode === "sidecar") return `sidecar ${policy}`;
  if (s.policy === "random") return "random (shared)";
  if (s.policy === "leastconn" && s.proxies === 1) return "global least-request";
  return `ProxyService ${policy}${s.proxies > 1 ? ` K=${s.proxies}` : ""}`;
}

function sectionsFor(s: Scenario, ports: readonly number[]): BalancerSection[] {
  const balance = balanceFor(s.policy, s.replicas);
  return ports.map((port, i) => ({ name: `${s.mode}${i}`, port, balance, ...(s.outlierDetection === undefined ? {} : { outlierDetection: s.outlierDetection }) }));
}

/** Starts backends and HAProxy for `s`, runs the load, stops everything, and returns what it measured. */
export async function runScenario(s: Scenario): Promise<ScenarioResult> {
  if (s.mode === "direct" && s.policy !== "random") throw new Error("direct mode only supports the random policy");
  const capacityRate = (s.replicas * s.workers * 1000) / s.meanMs;
  const offeredRate = s.rho * capacityRate;
  let backends: RunningBackends | undefined;
  let haproxy: RunningHaproxy | undefined;
  try {
    backends = await startBackends({ replicas: s.replicas, workers: s.workers, meanMs: s.meanMs, service: s.service, seed: s.seed, ...(s.failing === undefined ? {} : { failing: s.failing }) });
    const balancerCount = s.mode === "sidecar" ? s.callers : s.mode === "proxy" ? s.proxies : 0;
    const frontPorts = balancerCount > 0 ? await freePorts(balancerCount) : [];
    const sections = sectionsFor(s, frontPorts);
    if (sections.length > 0) haproxy = await startHaproxy({ sections, servers: backends.ports });
    const replicaPorts = backends.ports;
    const target =
      s.mode === "direct"
        ? (_caller: number, u: () => number) => replicaPorts[Math.floor(u() * replicaPorts.length)] ?? 0
        : s.mode === "sidecar"
          ? (caller: number) => frontPorts[caller] ?? 0
          : (_caller: number, u: () => number) => frontPorts[Math.floor(u() * frontPorts.length)] ?? 0;

    const statsBefore = await backends.stats();
    const cpuBefore = { haproxy: processCpuSeconds(haproxy?.pid), backends: processCpuSeconds(backends.pid), self: process.cpuUsage() };
    const wallBefore = performance.now();
    const load = await runLoad({
      callers: s.callers,
      rate: offeredRate,
      requests: s.requests,
      warmup: s.warmup,
      target,
      replicas: s.replicas,
      seed: s.seed,
      timeoutMs: 20_000,
    });
    const wall = (performance.now() - wallBefore) / 1000;
    const selfCpu = process.cpuUsage(cpuBefore.self);
    const haproxyCpu = difference(processCpuSeconds(haproxy?.pid), cpuBefore.haproxy);
    const backendsCpu = difference(processCpuSeconds(backends.pid), cpuBefore.backends);
    const statsAfter = await backends.stats();

    const served = sum(statsAfter.served) - sum(statsBefore.served);
    const busyMs = sum(statsAfter.busyMs) - sum(statsBefore.busyMs);
    const serviceMeanMs = served > 0 ? busyMs / served : 0;
    const latency = summarize(load.latenciesMs);
    const shares = load.perBackend.map((n) => (load.measured > 0 ? n / load.measured : 0));
    const haproxyPct = haproxyCpu === null ? null : (100 * haproxyCpu) / wall;
    const totalRate = s.requests / Math.max(load.wallSeconds, 1e-9);
    return {
      scenario: s,
      label: scenarioLabel(s),
      balance: s.mode === "direct" ? "none" : balanceLine(balanceFor(s.policy, s.replicas)),
      offeredRate,
      throughput: load.throughput,
      meanMs: latency.mean,
      p50Ms: latency.p50,
      p95Ms: latency.p95,
      p99Ms: latency.p99,
      measured: load.measured,
      failedFraction: load.measured + load.failedMeasured > 0 ? load.failedMeasured / (load.measured + load.failedMeasured) : 0,
      errors: load.errors,
      errorSamples: load.errorSamples,
      shares,
      shareMaxOverMean: shares.length > 0 ? Math.max(...shares) * shares.length : 0,
      serviceMeanMs,
      rhoMeasured: (load.throughput * serviceMeanMs) / 1000 / (s.replicas * s.workers),
      cpu: {
        haproxyPct,
        backendsPct: backendsCpu === null ? null : (100 * backendsCpu) / wall,
        loadgenPct: (100 * (selfCpu.user + selfCpu.system)) / 1e6 / wall,
      },
      haproxyPctPer1000Rps: haproxyPct === null ? null : haproxyPct / (totalRate / 1000),
      sendLagP99Ms: load.sendLagP99Ms,
      wallSeconds: wall,
    };
  } finally {
    await haproxy?.stop();
    await backends?.stop();
  }
}

function difference(after: number | undefined, before: number | undefined): number | null {
  return after === undefined || before === undefined ? null : after - before;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
