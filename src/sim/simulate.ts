import { arrivalGaps } from "./arrivals.js";
import { Balancers } from "./balancers.js";
import { type SimConfig, validateConfig } from "./config.js";
import { serviceSampler } from "./distributions.js";
import { EventHeap } from "./event-heap.js";
import { LatencyHistogram } from "./histogram.js";
import { Rng } from "./rng.js";
import { needsFullModel, simulateFull } from "./simulate-full.js";
import { loadSpread } from "./spread.js";

/** Statistics of one run; times in units of the mean service time. */
export interface SimResult {
  /** Requests measured (after the warm-up). */
  readonly requests: number;
  /** Completions per unit time over the measured window. */
  readonly throughput: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Relative error bound of the percentiles (the mean and max are exact). */
  readonly percentileError: number;
  /** Per-replica share of requests relative to a perfectly even split (1 = even). */
  readonly loadSpread: { readonly min: number; readonly max: number; readonly cv: number };
  /** Share of the measured requests answered with an error (a failing replica); latencies cover the others. */
  readonly failedFraction: number;
  /** Replicas ejected by outlier detection, over all balancers. */
  readonly ejections: number;
}

/**
 * Runs one configuration to completion. Pure and deterministic: the same config (including seed)
 * gives the same result. Throws ConfigError for an invalid config.
 *
 * Each replica is a FIFO queue in front of W identical workers. Under FIFO a request starts on
 * the worker that frees up first, at max(arrival, that worker's free time) (the Kiefer-Wolfowitz
 * workload recursion, Lindley's for W = 1), so its completion time is known on arrival and no
 * queue needs storing. Only completions become events: they must reach the balancer's view
 * before any later decision, so all completions up to each arrival's time are applied first.
 */
export function simulate(input: SimConfig): SimResult {
  const c = validateConfig(input);
  const rng = new Rng(c.seed);
  // The alternatives, unequal replicas and ejection need per-request state; the classic policies
  // keep this lean loop, whose speed the benchmark in bench/sim holds (issue 5: >= 1M requests/s).
  if (needsFullModel(c)) return simulateFull(c, rng);
  if (c.policy !== "random" && c.policy !== "round-robin" && c.policy !== "least-request") throw new Error(`unreachable: ${c.policy} needs the full model`);
  const R = c.replicas;
  const W = c.workers;
  const balancerCount = c.mode === "sidecar" ? c.callers : c.mode === "proxy" ? c.proxies : 1;
  const balancers = new Balancers(balancerCount, R, c.policy, c.choices, c.draws, rng);
  const nextGap = arrivalGaps(c.arrivals, c.load * R * W, rng);
  const nextService = serviceSampler(c.service, rng);
  const hop = c.mode === "proxy" ? c.hopLatency : 0;
  const workerFreeAt = new Float64Array(R * W);
  const perReplica = new Float64Array(R);
  const completions = new EventHeap(4 * R * W);
  const histogram = new LatencyHistogram();
  const warmup = Math.floor(c.requests * c.warmupFraction);

  let now = 0;
  let windowStart = 0;
  let completedInWindow = 0;
  for (let i = 0; i < c.requests; i++) {
    now += nextGap();
    if (i === warmup) {
      windowStart = now;
      completedInWindow = 0;
    }
    while (completions.peekTime() <= now) {
      balancers.complete(completions.pop());
      completedInWindow++;
    }
    // Sidecar: the caller's own balancer (callers are equally likely, so each sends a Poisson share).
    // Proxy: the caller picks one of K proxies at random per request. Global: the single balancer.
    const b = balancerCount === 1 ? 0 : rng.int(balancerCount);
    const r = balancers.send(b);
    const worker = W === 1 ? r : earliestWorker(workerFreeAt, r * W, W);
    const free = workerFreeAt[worker] as number;
    const done = (free > now ? free : now) + nextService();
    workerFreeAt[worker] = done;
    completions.push(done, balancers.slot(b, r));
    if (i >= warmup) {
      histogram.add(done - now + hop);
      perReplica[r] = (perReplica[r] as number) + 1;
    }
  }
  const elapsed = now - windowStart;
  return {
    requests: histogram.count,
    throughput: elapsed > 0 ? completedInWindow / elapsed : Number.NaN,
    mean: histogram.mean,
    p50: histogram.quantile(0.5),
    p95: histogram.quantile(0.95),
    p99: histogram.quantile(0.99),
    p999: histogram.quantile(0.999),
    max: histogram.max,
    percentileError: histogram.relativeError,
    loadSpread: loadSpread(perReplica),
    failedFraction: 0,
    ejections: 0,
  };
}

function earliestWorker(freeAt: Float64Array, base: number, workers: number): number {
  let best = base;
  for (let k = base + 1; k < base + workers; k++) if ((freeAt[k] as number) < (freeAt[best] as number)) best = k;
  return best;
}
