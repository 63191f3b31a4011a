import type { ServiceSpec } from "./distributions.js";

export type Policy = "random" | "round-robin" | "least-request";
export type Mode = "sidecar" | "proxy" | "global";
/**
 * How least-request draws its d candidates. Envoy's N_CHOICES least-request (the Istio sidecar and
 * gateway; unweightedHostPickNChoices in its least_request_lb.cc) and HAProxy's `balance random(2)`
 * (the companion testbed in bench/lor) both draw each candidate independently, so the same
 * replica can come up twice: that is the default. Distinct draws are the other common variant.
 */
export type Draws = "without-replacement" | "with-replacement";
export type ArrivalSpec = { readonly kind: "poisson" } | { readonly kind: "trace"; readonly times: readonly number[] };

/**
 * One simulated configuration. Times are in units of the mean service time (the service rate of
 * one worker is 1), so `load` alone sets the arrival rate: lambda = load * replicas * workers.
 */
export interface SimConfig {
  readonly callers: number;
  readonly replicas: number;
  readonly workers: number;
  readonly load: number;
  readonly policy: Policy;
  readonly choices: number | "all";
  readonly draws: Draws;
  readonly mode: Mode;
  readonly proxies: number;
  readonly service: ServiceSpec;
  readonly arrivals: ArrivalSpec;
  /** Extra round trip through a proxy, added to every request in `proxy` mode. */
  readonly hopLatency: number;
  readonly requests: number;
  readonly seed: number;
  /** Leading fraction of requests left out of the statistics, so the empty start does not bias them. */
  readonly warmupFraction: number;
}

export const DEFAULT_CONFIG: SimConfig = {
  callers: 60,
  replicas: 20,
  workers: 1,
  load: 0.8,
  policy: "least-request",
  choices: 2,
  draws: "with-replacement",
  mode: "sidecar",
  proxies: 1,
  service: { kind: "exp" },
  arrivals: { kind: "poisson" },
  hopLatency: 0,
  requests: 200_000,
  seed: 1,
  warmupFraction: 0.05,
};

const MAX_VIEW_CELLS = 50_000_000;

/** A configuration the simulator cannot run; `field` is the SimConfig key (and the CLI flag, in kebab case). */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${field}: ${problem}; ${fix}`);
    this.name = "ConfigError";
  }
}

/** Throws ConfigError for the first invalid field; returns the config unchanged otherwise. Pure. */
export function validateConfig(c: SimConfig): SimConfig {
  positiveInteger("callers", c.callers);
  positiveInteger("replicas", c.replicas);
  positiveInteger("workers", c.workers);
  positiveInteger("proxies", c.proxies);
  positiveInteger("requests", c.requests);
  // Every balancer keeps a count per replica; cap the table (200 MB of Int32) before allocating it fails obscurely.
  const balancers = c.mode === "sidecar" ? c.callers : c.mode === "proxy" ? c.proxies : 1;
  if (balancers * c.replicas > MAX_VIEW_CELLS) {
    const field = c.mode === "proxy" ? "proxies" : "callers";
    throw new ConfigError(field, `${balancers} balancers x ${c.replicas} replicas is more state than the simulator holds (${MAX_VIEW_CELLS})`, "reduce one of them");
  }
  if (!(c.load > 0 && c.load < 1)) {
    throw new ConfigError("load", `must be above 0 and below 1 (got ${c.load})`, "at load >= 1 the queues grow without bound; pick e.g. 0.8");
  }
  // More distinct choices than replicas is allowed: the balancer then samples every replica (see Balancers).
  if (c.choices !== "all") positiveInteger("choices", c.choices);
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) {
    throw new ConfigError("seed", `must be an integer in [0, 2^32) (got ${c.seed})`, "pick any such number");
  }
  if (!(c.hopLatency >= 0) || !Number.isFinite(c.hopLatency)) {
    throw new ConfigError("hopLatency", `must be a finite time >= 0 (got ${c.hopLatency})`, "use e.g. 0.05 or 1ms");
  }
  if (!(c.warmupFraction >= 0 && c.warmupFraction < 1)) {
    throw new ConfigError("warmupFraction", `must be in [0, 1) (got ${c.warmupFraction})`, "use e.g. 0.05");
  }
  if (c.service.kind === "lognormal" && !(c.service.cv >= 0 && Number.isFinite(c.service.cv))) {
    throw new ConfigError("service", `lognormal cv must be a finite number >= 0 (got ${c.service.cv})`, "use e.g. lognormal:1.5");
  }
  if (c.service.kind === "empirical" && !isPositiveSampleSet(c.service.samples)) {
    throw new ConfigError("service", "the samples must be numbers >= 0 with a positive mean", "give one service time per line");
  }
  if (c.arrivals.kind === "trace" && !isIncreasingTrace(c.arrivals.times)) {
    throw new ConfigError("arrivals", "the trace needs at least two arrival times in non-decreasing order, not all equal", "give one arrival time per line, sorted");
  }
  return c;
}

function positiveInteger(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(field, `must be a whole number >= 1 (got ${v})`, "e.g. 1, 2 or 20");
}

function isPositiveSampleSet(samples: readonly number[]): boolean {
  return samples.length > 0 && samples.every((v) => v >= 0 && Number.isFinite(v)) && samples.some((v) => v > 0);
}

function isIncreasingTrace(times: readonly number[]): boolean {
  if (times.length < 2 || !times.every(Number.isFinite)) return false;
  for (let i = 1; i < times.length; i++) if ((times[i] as number) < (times[i - 1] as number)) return false;
  return (times[times.length - 1] as number) > (times[0] as number);
}
