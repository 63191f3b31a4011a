import type { OutlierDetection } from "./config.js";
import type { Eligibility } from "./eligibility.js";

/**
 * Envoy's consecutive-5xx outlier detection, one detector per balancer (every Envoy keeps its
 * own). A replica is ejected the moment its `consecutiveErrors`-th error in a row arrives, unless
 * that would put more than maxEjectionPercent of the replicas out (Envoy compares the share
 * already ejected with the maximum, so one replica can always go). The ejection lasts
 * baseEjectionTime times the number of times the replica has been ejected, capped at
 * maxEjectionTime (outlier_detection.proto). Left out: Envoy returns a replica at the first
 * analysis sweep (every 10 s) after its time is up, not at once, and slowly forgets past
 * ejections; here the multiplier only grows, which errs towards keeping a bad replica out.
 */
export class OutlierDetector {
  readonly #replicas: number;
  readonly #od: OutlierDetection;
  readonly #eligibility: Eligibility;
  readonly #consecutive: Int32Array;
  readonly #timesEjected: Int32Array;
  readonly #ejectedUntil: Float64Array;
  /** The earliest time one of balancer b's ejections ends (Infinity when none is ejected). */
  readonly #nextReturn: Float64Array;
  #ejections = 0;

  constructor(balancers: number, replicas: number, od: OutlierDetection, eligibility: Eligibility) {
    this.#replicas = replicas;
    this.#od = od;
    this.#eligibility = eligibility;
    this.#consecutive = new Int32Array(balancers * replicas);
    this.#timesEjected = new Int32Array(balancers * replicas);
    this.#ejectedUntil = new Float64Array(balancers * replicas);
    this.#nextReturn = new Float64Array(balancers).fill(Number.POSITIVE_INFINITY);
  }

  /** Ejections so far, over all balancers. */
  get ejections(): number {
    return this.#ejections;
  }

  /** Returns to balancer b the replicas whose ejection has ended by `now`. */
  release(b: number, now: number): void {
    if ((this.#nextReturn[b] as number) > now) return;
    const base = b * this.#replicas;
    let next = Number.POSITIVE_INFINITY;
    for (let r = 0; r < this.#replicas; r++) {
      const until = this.#ejectedUntil[base + r] as number;
      if (until === 0) continue;
      if (until <= now) {
        this.#ejectedUntil[base + r] = 0;
        this.#consecutive[base + r] = 0;
        this.#eligibility.restore(b, r);
      } else if (until < next) next = until;
    }
    this.#nextReturn[b] = next;
  }

  /** Counts a response of replica r to balancer b; an ejected replica's late responses do not count. */
  record(b: number, r: number, failed: boolean, now: number): void {
    const slot = b * this.#replicas + r;
    if ((this.#ejectedUntil[slot] as number) !== 0) return;
    if (!failed) {
      this.#consecutive[slot] = 0;
      return;
    }
    const errors = (this.#consecutive[slot] as number) + 1;
    this.#consecutive[slot] = errors;
    if (errors < this.#od.consecutiveErrors) return;
    const ejectedShare = (100 * (this.#replicas - this.#eligibility.count(b))) / this.#replicas;
    if (ejectedShare >= this.#od.maxEjectionPercent) return;
    const times = (this.#timesEjected[slot] as number) + 1;
    this.#timesEjected[slot] = times;
    const until = now + Math.min(this.#od.baseEjectionTime * times, this.#od.maxEjectionTime);
    this.#ejectedUntil[slot] = until;
    this.#consecutive[slot] = 0;
    this.#eligibility.remove(b, r);
    if (until < (this.#nextReturn[b] as number)) this.#nextReturn[b] = until;
    this.#ejections++;
  }
}
