import type { ServiceSpec } from "./distributions.js";
import { DEFAULT_POLICY_PARAMS, type PolicyParams } from "./policy-params.js";

/** The policies the fast path (Balancers) runs: a count of the balancer's own outstanding requests at most. */
export type ClassicPolicy = "random" | "round-robin" | "least-request";
/** The alternatives users can turn on instead of a ProxyService (issue 19); see policy-params.ts for their sources. */
export type AlternativePolicy = "peak-ewma" | "orca-wrr" | "prequal";
export type Policy = ClassicPolicy | AlternativePolicy;
export const CLASSIC_POLICIES: readonly ClassicPolicy[] = ["random", "round-robin", "least-request"];
export const POLICIES: readonly Policy[] = [...CLASSIC_POLICIES, "peak-ewma", "orca-wrr", "prequal"];
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
  /** The alternatives' parameters (times in mean service times). */
  readonly params: PolicyParams;
  /** Replicas that serve slower than the rest (a noisy neighbour): the first `count` replicas take `factor` times as long. */
  readonly slow: { readonly count: number; readonly factor: number };
  /**
   * Replicas that fail fast (a broken dependency, a bad config): the last `count` replicas answer a
   * fraction `rate` of their requests with an error after `time` instead of serving them.
   */
  readonly failing: { readonly count: number; readonly rate: number; readonly time: number };
  /** Envoy-style outlier detection at every balancer, or null for none (Istio's default for a DestinationRule without it). */
  readonly outlierDetection: OutlierDetection | null;
}

/**
 * Consecutive-5xx outlier detection as Envoy does it (config.cluster.v3.OutlierDetection,
 * envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto): after
 * `consecutiveErrors` errors in a row a replica is ejected for baseEjectionTime times the number
 * of times it has been ejected, capped at maxEjectionTime; at most maxEjectionPercent of the
 * replicas are out at once, but at least one may be. Each balancer keeps its own detector, as
 * every Envoy does.
 */
export interface OutlierDetection {
  readonly consecutiveErrors: number;
  readonly baseEjectionTime: number;
  readonly maxEjectionTime: number;
  readonly maxEjectionPercent: number;
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
  params: DEFAULT_POLICY_PARAMS,
  slow: { count: 0, factor: 1 },
  failing: { count: 0, rate: 1, time: 0.05 },
  outlierDetection: null,
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
  validateReplicaFaults(c);
  validatePolicyParams(c.params);
  if (c.arrivals.kind === "trace" && !isIncreasingTrace(c.arrivals.times)) {
    throw new ConfigError("arrivals", "the trace needs at least two arrival times in non-decreasing order, not all equal", "give one arrival time per line, sorted");
  }
  return c;
}

function validateReplicaFaults(c: SimConfig): void {
  if (!Number.isInteger(c.slow.count) || c.slow.count < 0) throw new ConfigError("slowReplicas", `must be a whole number >= 0 (got ${c.slow.count})`, "e.g. 1");
  if (!(c.slow.factor >= 1 && Number.isFinite(c.slow.factor))) throw new ConfigError("slowdown", `must be a finite factor >= 1 (got ${c.slow.factor})`, "e.g. 3 for a replica three times slower");
  if (!Number.isInteger(c.failing.count) || c.failing.count < 0) throw new ConfigError("failingReplicas", `must be a whole number >= 0 (got ${c.failing.count})`, "e.g. 1");
  if (c.slow.count + c.failing.count > c.replicas) {
    throw new ConfigError("failingReplicas", `${c.slow.count} slow + ${c.failing.count} failing replicas are more than the ${c.replicas} replicas`, "lower them or raise --replicas");
  }
  if (!(c.failing.rate >= 0 && c.failing.rate <= 1)) throw new ConfigError("failureRate", `must be a fraction in [0, 1] (got ${c.failing.rate})`, "e.g. 1 (every request fails) or 0.5");
  if (!(c.failing.time > 0 && Number.isFinite(c.failing.time))) throw new ConfigError("failureTime", `must be a finite time > 0 (got ${c.failing.time})`, "e.g. 1ms with --service-mean, or 0.05");
  const od = c.outlierDetection;
  if (od === null) return;
  positiveInteger("consecutiveErrors", od.consecutiveErrors);
  if (!(od.baseEjectionTime > 0 && Number.isFinite(od.baseEjectionTime))) throw new ConfigError("baseEjectionTime", `must be a finite time > 0 (got ${od.baseEjectionTime})`, "e.g. 30s with --service-mean");
  if (!(od.maxEjectionTime >= od.baseEjectionTime)) throw new ConfigError("maxEjectionTime", `must be at least the base ejection time (got ${od.maxEjectionTime})`, "e.g. 300s, Envoy's default");
  if (!(od.maxEjectionPercent >= 0 && od.maxEjectionPercent <= 100)) throw new ConfigError("maxEjectionPercent", `must be in [0, 100] (got ${od.maxEjectionPercent})`, "e.g. 10, Envoy's default");
}

function validatePolicyParams(p: PolicyParams): void {
  const positiveTime = (field: string, v: number): void => {
    if (!(v > 0 && Number.isFinite(v))) throw new ConfigError(field, `must be a finite time > 0 (got ${v})`, "give a duration, e.g. 1s with --service-mean");
  };
  positiveTime("ewmaDecay", p.peakEwma.decay);
  positiveTime("ewmaDefaultRtt", p.peakEwma.defaultRtt);
  positiveTime("orcaUpdatePeriod", p.orca.weightUpdatePeriod);
  if (!(p.orca.blackoutPeriod >= 0)) throw new ConfigError("orcaBlackout", `must be a time >= 0 (got ${p.orca.blackoutPeriod})`, "e.g. 10s, Envoy's default");
  positiveTime("orcaExpiration", p.orca.weightExpirationPeriod);
  if (!(p.orca.errorUtilizationPenalty >= 0)) throw new ConfigError("orcaErrorPenalty", `must be a number >= 0 (got ${p.orca.errorUtilizationPenalty})`, "e.g. 1, Envoy's default");
  if (!(p.prequal.probeRate >= 0 && p.prequal.probeRate <= 64)) throw new ConfigError("prequalProbes", `must be a rate in [0, 64] probes per request (got ${p.prequal.probeRate})`, "e.g. 3");
  positiveInteger("prequalPool", p.prequal.poolSize);
  positiveInteger("prequalReuse", p.prequal.reuseBudget);
  if (!(p.prequal.hotQuantile >= 0 && p.prequal.hotQuantile <= 1)) throw new ConfigError("prequalHotQuantile", `must be a fraction in [0, 1] (got ${p.prequal.hotQuantile})`, "e.g. 0.84");
  positiveTime("prequalMaxAge", p.prequal.maxAge);
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
