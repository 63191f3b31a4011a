import type { SimConfig } from "./config.js";

/** Requests-in-flight buckets a replica keeps latency estimates for (Prequal); higher counts share the last. */
const RIF_BUCKETS = 64;
/** Weight of a new latency in a bucket's moving average. */
const LATENCY_WEIGHT = 1 / 16;

/**
 * What each replica knows about itself, for the policies that ask the replica rather than count
 * at the balancer: its requests in flight (all callers' together), its utilisation and its
 * request and error rates over the last ORCA reporting window, and its latency at each number of
 * requests in flight (what a Prequal probe returns). Also how slow it is and whether it fails.
 *
 * Utilisation is the requests in flight that are in service (at most the replica's workers) over
 * its workers, averaged over the last complete window of one weight update period: the busy
 * share a server samples and reports as its CPU or application utilisation. Counting the queued
 * requests too makes qps / utilisation fall like 1 - rho for one worker, so a replica that was
 * busy in one window gets a tiny weight in the next, and the weights oscillate (a mean latency
 * ten times the sidecars' at 60 callers, 20 replicas, load 0.8, in a trial run).
 */
export class ReplicaState {
  readonly workers: number;
  /** Requests in flight at each replica: queued or in service, from every balancer. */
  readonly inFlight: Int32Array;
  /** Service-time multiplier of each replica (1, or the slowdown of a noisy neighbour). */
  readonly speed: Float64Array;
  /** 1 for a replica that fails fast. */
  readonly failing: Uint8Array;
  readonly #window: number;
  readonly #windowIndex: Float64Array;
  readonly #windowCount: Float64Array;
  readonly #windowErrors: Float64Array;
  readonly #qps: Float64Array;
  readonly #eps: Float64Array;
  readonly #latency: Float64Array;
  /** The integral of requests in flight over the current window so far, and when it was last brought up to date. */
  readonly #area: Float64Array;
  readonly #lastChange: Float64Array;
  readonly #utilization: Float64Array;

  constructor(c: SimConfig) {
    const R = c.replicas;
    this.workers = c.workers;
    this.inFlight = new Int32Array(R);
    this.speed = new Float64Array(R).fill(1);
    for (let r = 0; r < c.slow.count; r++) this.speed[r] = c.slow.factor;
    this.failing = new Uint8Array(R);
    for (let r = R - c.failing.count; r < R; r++) this.failing[r] = 1;
    this.#window = c.params.orca.weightUpdatePeriod;
    this.#windowIndex = new Float64Array(R);
    this.#windowCount = new Float64Array(R);
    this.#windowErrors = new Float64Array(R);
    this.#qps = new Float64Array(R);
    this.#eps = new Float64Array(R);
    this.#latency = new Float64Array(R * RIF_BUCKETS).fill(Number.NaN);
    this.#area = new Float64Array(R);
    this.#lastChange = new Float64Array(R);
    this.#utilization = new Float64Array(R);
  }

  /** Adds `delta` (+1 sent, -1 done) to replica r's requests in flight at time `now`. */
  changeInFlight(r: number, now: number, delta: number): void {
    this.#roll(r, now);
    this.#area[r] = (this.#area[r] as number) + this.#busy(r) * (now - (this.#lastChange[r] as number));
    this.#lastChange[r] = now;
    this.inFlight[r] = (this.inFlight[r] as number) + delta;
  }

  /**
   * Records a completion: the rates of the current window (a replica's ORCA qps and eps are its
   * own rates, which all its callers share) and, keyed by the requests in flight the request met
   * on arrival, its latency.
   */
  complete(r: number, now: number, failed: boolean, inFlightAtArrival: number, latency: number): void {
    this.#roll(r, now);
    this.#windowCount[r] = (this.#windowCount[r] as number) + 1;
    if (failed) this.#windowErrors[r] = (this.#windowErrors[r] as number) + 1;
    const k = r * RIF_BUCKETS + Math.min(inFlightAtArrival, RIF_BUCKETS - 1);
    const old = this.#latency[k] as number;
    this.#latency[k] = Number.isNaN(old) ? latency : old + LATENCY_WEIGHT * (latency - old);
  }

  /** ORCA utilisation: the busy share of the replica's workers over the last complete window. */
  utilization(r: number, now: number): number {
    this.#roll(r, now);
    return this.#utilization[r] as number;
  }

  /** Requests per unit time in the last complete reporting window. */
  qps(r: number, now: number): number {
    this.#roll(r, now);
    return this.#qps[r] as number;
  }

  /** Errors per unit time in the last complete reporting window. */
  eps(r: number, now: number): number {
    this.#roll(r, now);
    return this.#eps[r] as number;
  }

  /**
   * The replica's latency estimate at `inFlight` requests in flight: its moving average for that
   * count, else the nearest count it has seen, else one service time per request ahead and its own.
   * Prequal's servers report the median of recent latencies at the current count; a moving
   * average per count is the cheaper stand-in used here.
   */
  latencyEstimate(r: number, inFlight: number): number {
    const base = r * RIF_BUCKETS;
    const k = Math.min(inFlight, RIF_BUCKETS - 1);
    for (let d = 0; d < RIF_BUCKETS; d++) {
      const below = k - d >= 0 ? (this.#latency[base + k - d] as number) : Number.NaN;
      if (!Number.isNaN(below)) return below;
      const above = k + d < RIF_BUCKETS ? (this.#latency[base + k + d] as number) : Number.NaN;
      if (!Number.isNaN(above)) return above;
    }
    return inFlight + 1;
  }

  #busy(r: number): number {
    return Math.min(this.inFlight[r] as number, this.workers);
  }

  /** Closes the window(s) that ended before `now`; the last complete one becomes the reported one. */
  #roll(r: number, now: number): void {
    const index = Math.floor(now / this.#window);
    const current = this.#windowIndex[r] as number;
    if (index === current) return;
    const busy = this.#busy(r);
    const fresh = index === current + 1;
    const endOfCurrent = (current + 1) * this.#window;
    const area = (this.#area[r] as number) + busy * (endOfCurrent - (this.#lastChange[r] as number));
    // With whole windows skipped, the last complete one saw no completion and a constant count.
    this.#utilization[r] = (fresh ? area / this.#window : busy) / this.workers;
    this.#qps[r] = fresh ? (this.#windowCount[r] as number) / this.#window : 0;
    this.#eps[r] = fresh ? (this.#windowErrors[r] as number) / this.#window : 0;
    this.#windowIndex[r] = index;
    this.#windowCount[r] = 0;
    this.#windowErrors[r] = 0;
    this.#area[r] = busy * (now - index * this.#window);
    this.#lastChange[r] = now;
  }
}
