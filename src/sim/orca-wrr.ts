import { type Picker, type PickerContext, randomEligible } from "./pickers.js";

/**
 * Client-side weighted round robin on ORCA load reports, per balancer (Envoy's
 * client_side_weighted_round_robin, behind Istio's BackendUtilizationLB; gRFC A58 describes the
 * same policy). Every response carries the replica's report: its utilisation, here requests in
 * flight over its workers averaged over the last window, and its own request and error rates
 * over that window (the replica measures them, so every caller hears the same). Every `weightUpdatePeriod` a balancer sets
 * each replica's weight to qps / (utilisation + eps / qps * errorUtilizationPenalty) from the
 * latest report, if that replica has been reporting for `blackoutPeriod` and not fallen silent
 * for `weightExpirationPeriod`; the others get the mean weight. It then picks by earliest
 * deadline first (Envoy's EdfScheduler): each pick moves the replica's deadline on by 1 / weight.
 */
export class OrcaWrrPicker implements Picker {
  readonly #ctx: PickerContext;
  readonly #replicas: number;
  readonly #utilization: Float64Array;
  readonly #qps: Float64Array;
  readonly #eps: Float64Array;
  readonly #firstReport: Float64Array;
  readonly #lastReport: Float64Array;
  readonly #weight: Float64Array;
  readonly #deadline: Float64Array;
  readonly #clock: Float64Array;
  readonly #nextUpdate: Float64Array;

  constructor(ctx: PickerContext) {
    this.#ctx = ctx;
    const R = ctx.config.replicas;
    const slots = ctx.balancers * R;
    this.#replicas = R;
    this.#utilization = new Float64Array(slots);
    this.#qps = new Float64Array(slots);
    this.#eps = new Float64Array(slots);
    this.#firstReport = new Float64Array(slots).fill(Number.NaN);
    this.#lastReport = new Float64Array(slots).fill(Number.NaN);
    this.#weight = new Float64Array(slots).fill(1);
    this.#deadline = Float64Array.from({ length: slots }, () => ctx.rng.uniform());
    this.#clock = new Float64Array(ctx.balancers);
    // Balancers start at different moments, so their weight updates are not in step.
    const period = ctx.config.params.orca.weightUpdatePeriod;
    this.#nextUpdate = Float64Array.from({ length: ctx.balancers }, () => ctx.rng.uniform() * period);
  }

  /** Balancer b's current weight of replica r (for tests). */
  weight(b: number, r: number): number {
    return this.#weight[b * this.#replicas + r] as number;
  }

  pick(b: number, now: number): number {
    const ctx = this.#ctx;
    while ((this.#nextUpdate[b] as number) <= now) {
      this.#updateWeights(b, this.#nextUpdate[b] as number);
      this.#nextUpdate[b] = (this.#nextUpdate[b] as number) + ctx.config.params.orca.weightUpdatePeriod;
    }
    const n = ctx.eligibility.count(b);
    if (n === 0) return randomEligible(ctx, b);
    const base = b * this.#replicas;
    const clock = this.#clock[b] as number;
    let best = -1;
    let bestDeadline = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const r = ctx.eligibility.at(b, i);
      // A replica back from ejection has a deadline in the past; it rejoins at the current time.
      const d = Math.max(this.#deadline[base + r] as number, clock);
      if (d < bestDeadline) {
        best = r;
        bestDeadline = d;
      }
    }
    this.#clock[b] = bestDeadline;
    this.#deadline[base + best] = bestDeadline + 1 / (this.#weight[base + best] as number);
    return best;
  }

  sent(): void {}

  completed(b: number, r: number, now: number): void {
    const ctx = this.#ctx;
    const slot = b * this.#replicas + r;
    this.#utilization[slot] = ctx.replicas.utilization(r, now);
    this.#qps[slot] = ctx.replicas.qps(r, now);
    this.#eps[slot] = ctx.replicas.eps(r, now);
    if (Number.isNaN(this.#firstReport[slot] as number)) this.#firstReport[slot] = now;
    this.#lastReport[slot] = now;
  }

  #updateWeights(b: number, now: number): void {
    const o = this.#ctx.config.params.orca;
    const base = b * this.#replicas;
    let sum = 0;
    let valid = 0;
    for (let r = 0; r < this.#replicas; r++) {
      const s = base + r;
      if (now - (this.#lastReport[s] as number) >= o.weightExpirationPeriod) this.#firstReport[s] = Number.NaN;
      const qps = this.#qps[s] as number;
      const utilization = this.#utilization[s] as number;
      const reporting = now - (this.#firstReport[s] as number) >= o.blackoutPeriod;
      const w = reporting && qps > 0 && utilization > 0 ? qps / (utilization + ((this.#eps[s] as number) / qps) * o.errorUtilizationPenalty) : 0;
      this.#weight[s] = w;
      if (w > 0) {
        sum += w;
        valid++;
      }
    }
    const mean = valid > 0 ? sum / valid : 1;
    const clock = this.#clock[b] as number;
    for (let r = 0; r < this.#replicas; r++) {
      const s = base + r;
      if (!((this.#weight[s] as number) > 0)) this.#weight[s] = mean;
      // Envoy rebuilds its scheduler with the new weights; a random start spreads the first picks.
      this.#deadline[s] = clock + this.#ctx.rng.uniform() / (this.#weight[s] as number);
    }
  }
}
