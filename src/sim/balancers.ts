import type { ClassicPolicy, Draws } from "./config.js";
import type { Rng } from "./rng.js";

/**
 * The balancers of one simulation. Each balancer knows only the requests it sent itself: its view
 * is its own count of outstanding requests per replica (as an Envoy sidecar's least-request
 * sees only its own active requests), kept in one flat typed array of balancers x replicas.
 * A stateful class, because the hot loop mutates it once per request.
 */
export class Balancers {
  readonly #replicas: number;
  readonly #policy: ClassicPolicy;
  /** d, or 0 for "all": scan every replica (join the shortest queue of its own view). */
  readonly #choices: number;
  readonly #withReplacement: boolean;
  readonly #rng: Rng;
  readonly #outstanding: Int32Array;
  readonly #nextRoundRobin: Int32Array;
  /** A permutation of replica indexes, partially reshuffled for every draw without replacement. */
  readonly #scratch: Int32Array;

  constructor(balancers: number, replicas: number, policy: ClassicPolicy, choices: number | "all", draws: Draws, rng: Rng) {
    this.#replicas = replicas;
    this.#policy = policy;
    this.#withReplacement = draws === "with-replacement";
    // d distinct draws from R <= d replicas see them all, which is "all" (so the default d = 2 works with one replica).
    this.#choices = choices === "all" || (!this.#withReplacement && choices >= replicas) ? 0 : choices;
    this.#rng = rng;
    this.#outstanding = new Int32Array(balancers * replicas);
    this.#scratch = Int32Array.from({ length: replicas }, (_, i) => i);
    // Independent balancers do not start in step: each round-robin starts at its own random replica.
    this.#nextRoundRobin = Int32Array.from({ length: balancers }, () => rng.int(replicas));
  }

  /** Picks a replica for the next request of balancer `b` and counts it as outstanding there. */
  send(b: number): number {
    let r: number;
    switch (this.#policy) {
      case "random":
        r = this.#rng.int(this.#replicas);
        break;
      case "round-robin":
        r = this.#nextRoundRobin[b] as number;
        this.#nextRoundRobin[b] = r + 1 === this.#replicas ? 0 : r + 1;
        break;
      case "least-request":
        r = this.#choices === 0 ? this.#leastOfAll(b * this.#replicas) : this.#leastOfSample(b * this.#replicas);
        break;
    }
    const slot = b * this.#replicas + r;
    this.#outstanding[slot] = (this.#outstanding[slot] as number) + 1;
    return r;
  }

  /** The slot of (balancer b, replica r): one integer, so a completion event carries both. */
  slot(b: number, r: number): number {
    return b * this.#replicas + r;
  }

  /** Records that the request counted in `slot` (see slot()) has completed. */
  complete(slot: number): void {
    this.#outstanding[slot] = (this.#outstanding[slot] as number) - 1;
  }

  /** Balancer b's outstanding count at replica r (for tests). */
  outstanding(b: number, r: number): number {
    return this.#outstanding[b * this.#replicas + r] as number;
  }

  /** Fewest outstanding among d sampled replicas; ties go to the earliest drawn, which is itself random. */
  #leastOfSample(base: number): number {
    const view = this.#outstanding;
    const n = this.#replicas;
    const rng = this.#rng;
    if (this.#withReplacement) {
      let best = rng.int(n);
      for (let k = 1; k < this.#choices; k++) {
        const c = rng.int(n);
        if ((view[base + c] as number) < (view[base + best] as number)) best = c;
      }
      return best;
    }
    // Partial Fisher-Yates: after step k, scratch[0..k] is a uniform k+1-subset in random order,
    // and scratch stays a permutation, so it needs no reset between requests.
    const perm = this.#scratch;
    let best = -1;
    for (let k = 0; k < this.#choices; k++) {
      const j = k + rng.int(n - k);
      const c = perm[j] as number;
      perm[j] = perm[k] as number;
      perm[k] = c;
      if (best < 0 || (view[base + c] as number) < (view[base + best] as number)) best = c;
    }
    return best;
  }

  /** Fewest outstanding over all replicas, ties broken uniformly at random (reservoir sampling). */
  #leastOfAll(base: number): number {
    const view = this.#outstanding;
    let best = 0;
    let bestCount = view[base] as number;
    let ties = 1;
    for (let r = 1; r < this.#replicas; r++) {
      const v = view[base + r] as number;
      if (v < bestCount) {
        best = r;
        bestCount = v;
        ties = 1;
      } else if (v === bestCount && this.#rng.int(++ties) === 0) {
        best = r;
      }
    }
    return best;
  }
}
