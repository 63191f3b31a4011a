/**
 * Parameters of the alternatives to a ProxyService (issue 19), with their defaults taken from the
 * real implementations' documentation. Times are in units of the mean service time, like every
 * time in the simulator; the defaults below are given in seconds and converted with
 * `policyParamsFor(serviceMeanSeconds)`, because these are wall-clock timers in the real proxies.
 */

export interface PeakEwmaParams {
  /** Time constant of the moving average: older latencies weigh exp(-age / decay). */
  readonly decay: number;
  /** The latency assumed for a replica before any response from it has been seen. */
  readonly defaultRtt: number;
}

export interface OrcaParams {
  /** How often every balancer recomputes its replica weights. */
  readonly weightUpdatePeriod: number;
  /** A replica's reported load is used only after it has reported for this long. */
  readonly blackoutPeriod: number;
  /** A replica that has not reported for this long loses its weight (and the blackout starts over). */
  readonly weightExpirationPeriod: number;
  /** weight = qps / (utilisation + eps / qps * errorUtilizationPenalty). */
  readonly errorUtilizationPenalty: number;
}

export interface PrequalParams {
  /** Probes sent per request (fractional: the remainder is a probability). */
  readonly probeRate: number;
  /** Most probe results a balancer keeps; a new one pushes out the oldest. */
  readonly poolSize: number;
  /** A probe result is used for at most this many requests. */
  readonly reuseBudget: number;
  /** A probe result older than this is dropped. */
  readonly maxAge: number;
  /** A replica is hot when its probed requests-in-flight is above this quantile of the pool's. */
  readonly hotQuantile: number;
}

export interface PolicyParams {
  readonly peakEwma: PeakEwmaParams;
  readonly orca: OrcaParams;
  readonly prequal: PrequalParams;
}

/**
 * The mean service time assumed when converting the defaults below without --service-mean:
 * 20 ms, the service time of the loopback testbed in bench/lor.
 */
export const ASSUMED_SERVICE_MEAN_SECONDS = 0.02;

/** The defaults in seconds, each with the document it comes from. */
export const POLICY_DEFAULTS_SECONDS = {
  peakEwma: {
    // Envoy's contrib peak_ewma policy (api-v3/config/contrib/load_balancing_policies/peak_ewma):
    // cost = RTT_peak_ewma * (active_requests + 1) over two random hosts, decay time 10 s
    // (kDefaultDecayTimeSeconds in peak_ewma_lb.h). Linkerd's proxy uses the same decay and a
    // default RTT of 30 ms (EWMA_DECAY and EWMA_DEFAULT_RTT in linkerd2-proxy's outbound config).
    decay: 10,
    defaultRtt: 0.03,
  },
  orca: {
    // Envoy's client_side_weighted_round_robin (api-v3/extensions/load_balancing_policies/
    // client_side_weighted_round_robin/v3): weight_update_period 1 s, blackout_period 10 s,
    // weight_expiration_period 3 min, error_utilization_penalty 1.0; the weight is
    // qps / (utilization + eps / qps * error_utilization_penalty) (also gRFC A58).
    weightUpdatePeriod: 1,
    blackoutPeriod: 10,
    weightExpirationPeriod: 180,
    errorUtilizationPenalty: 1,
  },
  prequal: {
    // Prequal (Wydrowski, Kleinberg, Rumble, Vahdat, "Load is not what you should balance",
    // NSDI 2024): asynchronous probes return the replica's requests-in-flight (RIF) and latency
    // estimate into a pool of at most 16; the hot-cold lexicographic rule picks the cold probe
    // with the lowest latency, or the lowest RIF when all are hot. The paper's text could not be
    // read here: the pool of 16, three probes per request and the RIF quantile 0.84 are the values
    // independent implementations that cite it use (OpenPrequal's write-up; a public simulator's
    // Prequal baseline, which gives Q_RIF 0.75-0.99 as the paper's range). The one-second age
    // limit and single use per probe are this simulator's choices; all five are flags.
    probeRate: 3,
    poolSize: 16,
    reuseBudget: 1,
    maxAge: 1,
    hotQuantile: 0.84,
  },
} as const;

/** The defaults converted to units of a mean service time of `serviceMeanSeconds`. */
export function policyParamsFor(serviceMeanSeconds: number): PolicyParams {
  const t = (seconds: number): number => seconds / serviceMeanSeconds;
  const d = POLICY_DEFAULTS_SECONDS;
  return {
    peakEwma: { decay: t(d.peakEwma.decay), defaultRtt: t(d.peakEwma.defaultRtt) },
    orca: {
      weightUpdatePeriod: t(d.orca.weightUpdatePeriod),
      blackoutPeriod: t(d.orca.blackoutPeriod),
      weightExpirationPeriod: t(d.orca.weightExpirationPeriod),
      errorUtilizationPenalty: d.orca.errorUtilizationPenalty,
    },
    prequal: { ...d.prequal, maxAge: t(d.prequal.maxAge) },
  };
}

export const DEFAULT_POLICY_PARAMS: PolicyParams = policyParamsFor(ASSUMED_SERVICE_MEAN_SECONDS);

/**
 * Envoy's outlier detection defaults (config/cluster/v3/outlier_detection.proto):
 * consecutive_5xx 5, base_ejection_time 30 s, max_ejection_time 300 s, max_ejection_percent 10.
 */
export const OUTLIER_DEFAULTS_SECONDS = { consecutiveErrors: 5, baseEjectionTime: 30, maxEjectionTime: 300, maxEjectionPercent: 10 } as const;
