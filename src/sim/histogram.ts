/**
 * A streaming latency histogram with logarithmic buckets and a known relative error, so
 * percentiles of any number of requests use fixed memory.
 *
 * Bucket scheme from DDSketch (Masson, Rim and Lee, "DDSketch: a fast and fully-mergeable
 * quantile sketch with relative-error guarantees", VLDB 2019): with gamma = (1 + a) / (1 - a),
 * bucket i holds values in (gamma^(i-1), gamma^i], and reporting 2 gamma^i / (gamma + 1) for it
 * is within relative error a of every value in the bucket. Values outside [minValue, maxValue]
 * are clamped into the end buckets; the exact minimum, maximum and mean are kept separately.
 */
export class LatencyHistogram {
  readonly relativeError: number;
  #gamma: number;
  #invLogGamma: number;
  #offset: number;
  #counts: Float64Array;
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  constructor(relativeError = 0.005, minValue = 1e-6, maxValue = 1e7) {
    if (!(relativeError > 0 && relativeError < 1)) throw new RangeError("relativeError must be in (0, 1)");
    this.relativeError = relativeError;
    this.#gamma = (1 + relativeError) / (1 - relativeError);
    this.#invLogGamma = 1 / Math.log(this.#gamma);
    this.#offset = Math.ceil(Math.log(minValue) * this.#invLogGamma);
    const last = Math.ceil(Math.log(maxValue) * this.#invLogGamma);
    this.#counts = new Float64Array(last - this.#offset + 1);
  }

  /** Number of buckets: fixed at construction, independent of how many values are added. */
  get bucketCount(): number {
    return this.#counts.length;
  }

  get count(): number {
    return this.#count;
  }

  /** The exact mean of the added values (a running sum, not the buckets). NaN when empty. */
  get mean(): number {
    return this.#count > 0 ? this.#sum / this.#count : Number.NaN;
  }

  get min(): number {
    return this.#count > 0 ? this.#min : Number.NaN;
  }

  get max(): number {
    return this.#count > 0 ? this.#max : Number.NaN;
  }

  add(value: number): void {
    const counts = this.#counts;
    let i = value > 0 ? Math.ceil(Math.log(value) * this.#invLogGamma) - this.#offset : 0;
    if (i < 0) i = 0;
    else if (i >= counts.length) i = counts.length - 1;
    counts[i] = (counts[i] as number) + 1;
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /**
   * The value at quantile q in [0, 1] (nearest rank, rank = ceil(q n)), within the relative error
   * of the true order statistic, and clamped to the exact [min, max]. NaN when empty.
   */
  quantile(q: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * this.#count));
    const counts = this.#counts;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i] as number;
      if (seen >= rank) {
        const estimate = (2 * this.#gamma ** (i + this.#offset)) / (this.#gamma + 1);
        return Math.min(this.#max, Math.max(this.#min, estimate));
      }
    }
    return this.#max;
  }
}
