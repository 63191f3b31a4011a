import type { SimConfig } from "./config.js";
import type { Eligibility } from "./eligibility.js";
import type { ReplicaState } from "./replica-state.js";
import type { Rng } from "./rng.js";

/**
 * A load-balancing policy in the full model (simulate-full.ts): every balancer picks among the
 * replicas its outlier detector has not ejected, and hears of every response it gets.
 */
export interface Picker {
  /** The replica for balancer b's next request at time `now`. */
  pick(b: number, now: number): number;
  /** The request picked last has been sent to r (the replica's in-flight count already includes it). */
  sent(b: number, r: number, now: number): void;
  /** A response from r reached balancer b: its latency as the balancer saw it, and whether it was an error. */
  completed(b: number, r: number, now: number, latency: number, failed: boolean): void;
}

/** What every policy shares: the eligible replicas, the replicas' own state, each balancer's outstanding counts. */
export interface PickerContext {
  readonly config: SimConfig;
  readonly balancers: number;
  readonly eligibility: Eligibility;
  readonly replicas: ReplicaState;
  /** Balancer b's requests outstanding at replica r, at index b * R + r. */
  readonly outstanding: Int32Array;
  readonly rng: Rng;
}

/**
 * A uniformly random eligible replica of balancer b. With none eligible, any replica: Envoy's
 * panic mode balances over all hosts once too few are healthy (healthy_panic_threshold).
 */
export function randomEligible(ctx: PickerContext, b: number): number {
  const n = ctx.eligibility.count(b);
  return n === 0 ? ctx.rng.int(ctx.config.replicas) : ctx.eligibility.at(b, ctx.rng.int(n));
}

/**
 * Random, round-robin and least-request over the eligible replicas: the same policies as
 * Balancers (the fast path, which knows no ejection), for runs that need the full model.
 */
export class ClassicPicker implements Picker {
  readonly #ctx: PickerContext;
  readonly #nextRoundRobin: Int32Array;

  constructor(ctx: PickerContext) {
    this.#ctx = ctx;
    this.#nextRoundRobin = Int32Array.from({ length: ctx.balancers }, () => ctx.rng.int(ctx.config.replicas));
  }

  pick(b: number, _now: number): number {
    const ctx = this.#ctx;
    const n = ctx.eligibility.count(b);
    switch (ctx.config.policy) {
      case "round-robin": {
        if (n === 0) return randomEligible(ctx, b);
        const i = (this.#nextRoundRobin[b] as number) % n;
        this.#nextRoundRobin[b] = i + 1;
        return ctx.eligibility.at(b, i);
      }
      case "least-request":
        return ctx.config.choices === "all" ? this.#leastOfAll(b, n) : this.#leastOfSample(b, n, ctx.config.choices);
      default:
        return randomEligible(ctx, b);
    }
  }

  sent(): void {}

  completed(): void {}

  #leastOfSample(b: number, n: number, d: number): number {
    const ctx = this.#ctx;
    const base = b * ctx.config.replicas;
    const withReplacement = ctx.config.draws === "with-replacement";
    if (!withReplacement && d >= n) return this.#leastOfAll(b, n);
    let best = randomEligible(ctx, b);
    for (let k = 1; k < d; k++) {
      let c = randomEligible(ctx, b);
      // Distinct draws: redraw a repeat of the best so far (d < n here, so this ends quickly).
      while (!withReplacement && c === best) c = randomEligible(ctx, b);
      if ((ctx.outstanding[base + c] as number) < (ctx.outstanding[base + best] as number)) best = c;
    }
    return best;
  }

  #leastOfAll(b: number, n: number): number {
    const ctx = this.#ctx;
    if (n === 0) return randomEligible(ctx, b);
    const base = b * ctx.config.replicas;
    let best = ctx.eligibility.at(b, 0);
    let ties = 1;
    for (let i = 1; i < n; i++) {
      const r = ctx.eligibility.at(b, i);
      const v = ctx.outstanding[base + r] as number;
      const bestCount = ctx.outstanding[base + best] as number;
      if (v < bestCount) {
        best = r;
        ties = 1;
      } else if (v === bestCount && ctx.rng.int(++ties) === 0) {
        best = r;
      }
    }
    return best;
  }
}
