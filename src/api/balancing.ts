import { ConditionTypes, Reasons, type ConditionInput } from "./conditions.js";
import { DEFAULT_CHOICES } from "./rules.js";
import type { LeastRequestChoices } from "./types.js";

/**
 * Predicted mean latency (any unit, the same for every call) when `balancers` independent
 * least-request balancers with `choices` candidates each get a uniformly random share of the
 * requests to `replicas` single-worker replicas at utilisation `load`. One model covers both
 * layouts: K proxies that callers pick at random per request are exactly K such balancers, and so
 * are C callers' sidecars. The operator passes src/sim behind this (src/cli/balancing-predictor.ts).
 */
export type MeanLatencyPredictor = (query: { balancers: number; replicas: number; load: number; choices: LeastRequestChoices }) => number;

export interface BalancingInput {
  /** Proxy pods serving now (Ready). */
  readonly proxies: number;
  /** Target pods the proxies balance over (Ready endpoints). */
  readonly replicas: number;
  /** Callers of the Service; the operator cannot see them, so it assumes ASSUMED_CALLERS. */
  readonly callers: number;
  /** Utilisation of the replicas; assumed ASSUMED_LOAD when unknown. */
  readonly load: number;
  /** spec.leastRequest.choices of the proxies (the callers' sidecars use Istio's 2). */
  readonly choices: LeastRequestChoices;
}

/**
 * Below this share of one proxy's gain the condition warns: "most of the gain is lost" taken
 * literally (more than half of it). Half is also where the K sweep of docs/simulate.md turns:
 * at 300 callers and 50 replicas, two choices keep 82 % of the gain with 2 proxies, 62 % with 4
 * and 45 % with 8.
 */
export const GAIN_KEPT_THRESHOLD = 0.5;
/** Callers assumed when unknown: the gain kept by K proxies barely depends on C beyond about 30 (docs/api.md, "Sizing"). */
export const ASSUMED_CALLERS = 100;
/** Utilisation assumed when unknown: the point of the README's tables, where a ProxyService starts to matter. */
export const ASSUMED_LOAD = 0.8;

/** The share of one proxy's gain over the sidecars that `input.proxies` proxies keep, by the predictor. Pure given a pure predictor. */
export function gainKept(input: BalancingInput, predict: MeanLatencyPredictor): number {
  const { proxies, replicas, callers, load, choices } = input;
  if (proxies <= 1) return 1;
  const sidecar = predict({ balancers: callers, replicas, load, choices: DEFAULT_CHOICES });
  const one = predict({ balancers: 1, replicas, load, choices });
  const many = predict({ balancers: proxies, replicas, load, choices });
  const full = sidecar / one - 1;
  return full > 0 ? (sidecar / many - 1) / full : 1;
}

/**
 * The GlobalView condition for the serving proxies: False (TooManyProxies) when they are predicted
 * to keep less than GAIN_KEPT_THRESHOLD of one proxy's gain over the sidecars, True (GainKept)
 * otherwise; the message names the numbers, the assumptions and what to change. With no replica
 * or no serving proxy there is nothing to judge: Unknown. Pure given a pure predictor.
 */
export function balancingCondition(input: BalancingInput, predict: MeanLatencyPredictor, observedGeneration: number): ConditionInput {
  const base = { type: ConditionTypes.GlobalView, observedGeneration } as const;
  if (input.proxies < 1 || input.replicas < 1) {
    return { ...base, status: "Unknown", reason: Reasons.GainKept, message: `${input.proxies} proxies serve ${input.replicas} target pods; nothing to judge yet` };
  }
  const kept = gainKept(input, predict);
  const percent = Math.round(100 * Math.max(0, kept));
  const setting = `${input.proxies} ${input.proxies === 1 ? "proxy serves" : "proxies serve"} ${input.replicas} target pods with ${String(input.choices)} least-request choices; assuming ${input.callers} callers at utilisation ${input.load}, the simulator predicts they keep ${percent} % of one proxy's gain over sidecar least-request`;
  if (kept < GAIN_KEPT_THRESHOLD) {
    return {
      ...base,
      status: "False",
      reason: Reasons.TooManyProxies,
      message: `${setting}; raise spec.resources.requests.cpu so that fewer proxies carry the load, or lower spec.autoscaling.maxReplicas`,
    };
  }
  return { ...base, status: "True", reason: Reasons.GainKept, message: setting };
}
