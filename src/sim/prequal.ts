import { type Picker, type PickerContext, randomEligible } from "./pickers.js";

/** How many recent probe results each balancer's requests-in-flight quantile is taken over. */
const RIF_HISTORY = 128;
/** Requests-in-flight values above this share the histogram's last bin. */
const RIF_BINS = 256;

/**
 * Prequal (Wydrowski et al., NSDI 2024), per balancer. After each request the balancer probes
 * `probeRate` random replicas (asynchronously: the answers serve later requests, not this one);
 * a probe returns the replica's requests in flight (RIF, all callers' together) and its latency
 * estimate at that RIF. Answers go into a pool of at most `poolSize` (one per replica, the newest;
 * a full pool drops its oldest), each used at most `reuseBudget` times and for at most `maxAge`.
 * To pick, the hot-cold lexicographic rule: a probe is hot when its RIF is above the
 * `hotQuantile` quantile of the RIFs recently probed; among the cold ones the lowest latency
 * wins, and when all are hot the lowest RIF. The chosen probe's RIF then counts the request just
 * sent. With an empty pool the balancer picks at random.
 */
export class PrequalPicker implements Picker {
  readonly #ctx: PickerContext;
  readonly #size: number;
  readonly #replica: Int32Array;
  readonly #rif: Int32Array;
  readonly #latency: Float64Array;
  readonly #time: Float64Array;
  readonly #uses: Int32Array;
  readonly #count: Int32Array;
  readonly #history: Int32Array;
  readonly #historyNext: Int32Array;
  readonly #historyCount: Int32Array;
  readonly #histogram: Int32Array;
  readonly #probedNow = new Int32Array(64);

  constructor(ctx: PickerContext) {
    this.#ctx = ctx;
    const p = ctx.config.params.prequal;
    this.#size = p.poolSize;
    const slots = ctx.balancers * p.poolSize;
    this.#replica = new Int32Array(slots);
    this.#rif = new Int32Array(slots);
    this.#latency = new Float64Array(slots);
    this.#time = new Float64Array(slots);
    this.#uses = new Int32Array(slots);
    this.#count = new Int32Array(ctx.balancers);
    this.#history = new Int32Array(ctx.balancers * RIF_HISTORY);
    this.#historyNext = new Int32Array(ctx.balancers);
    this.#historyCount = new Int32Array(ctx.balancers);
    this.#histogram = new Int32Array(ctx.balancers * RIF_BINS);
  }

  /** Probe results in balancer b's pool (for tests). */
  poolSize(b: number): number {
    return this.#count[b] as number;
  }

  pick(b: number, now: number): number {
    this.#prune(b, now);
    const n = this.#count[b] as number;
    if (n === 0) return randomEligible(this.#ctx, b);
    const base = b * this.#size;
    const threshold = this.#hotThreshold(b);
    const rng = this.#ctx.rng;
    let cold = -1;
    let coldTies = 0;
    let coolest = -1;
    let coolestTies = 0;
    for (let k = base; k < base + n; k++) {
      const rif = this.#rif[k] as number;
      if (rif <= threshold) {
        const lat = this.#latency[k] as number;
        const best = cold < 0 ? Number.POSITIVE_INFINITY : (this.#latency[cold] as number);
        if (lat < best) {
          cold = k;
          coldTies = 1;
        } else if (lat === best && rng.int(++coldTies) === 0) cold = k;
      }
      const least = coolest < 0 ? Number.POSITIVE_INFINITY : (this.#rif[coolest] as number);
      if (rif < least) {
        coolest = k;
        coolestTies = 1;
      } else if (rif === least && rng.int(++coolestTies) === 0) coolest = k;
    }
    const chosen = cold >= 0 ? cold : coolest;
    this.#rif[chosen] = (this.#rif[chosen] as number) + 1;
    this.#uses[chosen] = (this.#uses[chosen] as number) + 1;
    return this.#replica[chosen] as number;
  }

  sent(b: number, _r: number, now: number): void {
    const ctx = this.#ctx;
    const rate = ctx.config.params.prequal.probeRate;
    let probes = Math.floor(rate);
    if (ctx.rng.uniform() < rate - probes) probes++;
    probes = Math.min(probes, Math.max(1, ctx.eligibility.count(b)));
    for (let i = 0; i < probes; i++) {
      // Distinct replicas within one round of probes.
      let r = randomEligible(ctx, b);
      while (this.#probedBefore(r, i)) r = randomEligible(ctx, b);
      this.#probedNow[i] = r;
      const rif = ctx.replicas.inFlight[r] as number;
      this.#insert(b, r, rif, ctx.replicas.latencyEstimate(r, rif), now);
      this.#remember(b, rif);
    }
  }

  completed(): void {}

  #probedBefore(r: number, i: number): boolean {
    for (let j = 0; j < i; j++) if ((this.#probedNow[j] as number) === r) return true;
    return false;
  }

  /** Drops results that are too old, used up, or of a replica the outlier detector ejected. */
  #prune(b: number, now: number): void {
    const p = this.#ctx.config.params.prequal;
    const base = b * this.#size;
    let n = this.#count[b] as number;
    for (let k = base; k < base + n; ) {
      const stale = now - (this.#time[k] as number) > p.maxAge || (this.#uses[k] as number) >= p.reuseBudget;
      if (stale || !this.#ctx.eligibility.isEligible(b, this.#replica[k] as number)) {
        this.#move(base + n - 1, k);
        n--;
      } else k++;
    }
    this.#count[b] = n;
  }

  #insert(b: number, r: number, rif: number, latency: number, now: number): void {
    const base = b * this.#size;
    const n = this.#count[b] as number;
    let k = -1;
    let oldest = base;
    for (let i = base; i < base + n; i++) {
      if ((this.#replica[i] as number) === r) k = i;
      if ((this.#time[i] as number) < (this.#time[oldest] as number)) oldest = i;
    }
    if (k < 0 && n < this.#size) {
      k = base + n;
      this.#count[b] = n + 1;
    } else if (k < 0) k = oldest;
    this.#replica[k] = r;
    this.#rif[k] = rif;
    this.#latency[k] = latency;
    this.#time[k] = now;
    this.#uses[k] = 0;
  }

  #move(from: number, to: number): void {
    this.#replica[to] = this.#replica[from] as number;
    this.#rif[to] = this.#rif[from] as number;
    this.#latency[to] = this.#latency[from] as number;
    this.#time[to] = this.#time[from] as number;
    this.#uses[to] = this.#uses[from] as number;
  }

  /** Keeps the last RIF_HISTORY probed RIFs as a histogram, so the quantile costs one short scan. */
  #remember(b: number, rif: number): void {
    const h = b * RIF_HISTORY;
    const bins = b * RIF_BINS;
    const next = this.#historyNext[b] as number;
    if ((this.#historyCount[b] as number) === RIF_HISTORY) {
      const old = this.#history[h + next] as number;
      this.#histogram[bins + old] = (this.#histogram[bins + old] as number) - 1;
    } else this.#historyCount[b] = (this.#historyCount[b] as number) + 1;
    const bin = Math.min(rif, RIF_BINS - 1);
    this.#history[h + next] = bin;
    this.#histogram[bins + bin] = (this.#histogram[bins + bin] as number) + 1;
    this.#historyNext[b] = next + 1 === RIF_HISTORY ? 0 : next + 1;
  }

  /** The hotQuantile quantile (nearest rank) of the recently probed RIFs; +Infinity before any probe. */
  #hotThreshold(b: number): number {
    const count = this.#historyCount[b] as number;
    if (count === 0) return Number.POSITIVE_INFINITY;
    const rank = Math.max(1, Math.ceil(this.#ctx.config.params.prequal.hotQuantile * count));
    const bins = b * RIF_BINS;
    let seen = 0;
    for (let v = 0; v < RIF_BINS; v++) {
      seen += this.#histogram[bins + v] as number;
      if (seen >= rank) return v;
    }
    return RIF_BINS - 1;
  }
}
