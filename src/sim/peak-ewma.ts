import { type Picker, type PickerContext, randomEligible } from "./pickers.js";

/**
 * Peak EWMA with two random choices, per balancer (Linkerd's default balancer; Envoy's contrib
 * peak_ewma policy): each balancer keeps, per replica, a moving average of the latencies it saw
 * that jumps to any higher latency at once (the "peak") and decays towards lower ones with time
 * constant `decay`, starting from `defaultRtt`; it draws two distinct eligible replicas and sends
 * to the one with the lower cost = average * (outstanding + 1). The update follows Finagle's
 * PeakEwma, which both cite: w = exp(-elapsed / decay); avg = max(rtt, avg * w + rtt * (1 - w)).
 * Every response counts, errors too: the Envoy policy leaves errors to outlier detection.
 */
export class PeakEwmaPicker implements Picker {
  readonly #ctx: PickerContext;
  readonly #replicas: number;
  readonly #decay: number;
  readonly #average: Float64Array;
  readonly #stamp: Float64Array;

  constructor(ctx: PickerContext) {
    this.#ctx = ctx;
    this.#replicas = ctx.config.replicas;
    this.#decay = ctx.config.params.peakEwma.decay;
    this.#average = new Float64Array(ctx.balancers * this.#replicas).fill(ctx.config.params.peakEwma.defaultRtt);
    this.#stamp = new Float64Array(ctx.balancers * this.#replicas);
  }

  /** Balancer b's current cost of replica r (for tests). */
  cost(b: number, r: number): number {
    const slot = b * this.#replicas + r;
    return (this.#average[slot] as number) * ((this.#ctx.outstanding[slot] as number) + 1);
  }

  pick(b: number, _now: number): number {
    const ctx = this.#ctx;
    const first = randomEligible(ctx, b);
    if (ctx.eligibility.count(b) < 2) return first;
    let second = randomEligible(ctx, b);
    while (second === first) second = randomEligible(ctx, b);
    const a = this.cost(b, first);
    const c = this.cost(b, second);
    // Both were drawn at random, so preferring the first on a tie is a random choice.
    return c < a ? second : first;
  }

  sent(): void {}

  completed(b: number, r: number, now: number, latency: number): void {
    const slot = b * this.#replicas + r;
    const old = this.#average[slot] as number;
    if (latency > old) {
      this.#average[slot] = latency;
    } else {
      const w = Math.exp(-(now - (this.#stamp[slot] as number)) / this.#decay);
      this.#average[slot] = old * w + latency * (1 - w);
    }
    this.#stamp[slot] = now;
  }
}
