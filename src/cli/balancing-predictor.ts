import type { MeanLatencyPredictor } from "../api/balancing.js";
import { DEFAULT_CONFIG } from "../sim/config.js";
import { simulate } from "../sim/simulate.js";

/**
 * The simulator behind MeanLatencyPredictor, for the operator's GlobalView condition: sidecar mode
 * with `balancers` callers is the same model as proxy mode with that many proxies. Memoised per
 * query (the answers are deterministic for a seed), so a reconcile pays a simulation only when the
 * number of proxies, replicas or choices changes; `requests` trades precision for time (100,000:
 * about 25 ms per new query on the development machine, means within a few percent).
 */
export function createMeanLatencyPredictor(requests = 100_000, seed = 1): MeanLatencyPredictor {
  const cache = new Map<string, number>();
  return ({ balancers, replicas, load, choices }) => {
    const key = `${balancers}/${replicas}/${load}/${choices}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    if (cache.size >= 10_000) cache.clear(); // bounded: keys are few in practice (proxies x replicas x choices)
    const result = simulate({
      ...DEFAULT_CONFIG,
      mode: "sidecar",
      callers: balancers,
      replicas,
      load,
      policy: "least-request",
      choices: choices === "All" ? "all" : choices,
      requests,
      seed,
    });
    cache.set(key, result.mean);
    return result.mean;
  };
}
