/**
 * Which replicas each balancer may pick: all of them, except those its outlier detector has
 * ejected. Kept as one flat list per balancer (the first `count(b)` entries of its row) so that a
 * policy samples an eligible replica in O(1), and ejecting or returning one is a swap.
 */
export class Eligibility {
  readonly #replicas: number;
  /** Row b holds balancer b's eligible replicas first, then its ejected ones. */
  readonly list: Int32Array;
  /** Where replica r sits in balancer b's row. */
  readonly #position: Int32Array;
  readonly #count: Int32Array;

  constructor(balancers: number, replicas: number) {
    this.#replicas = replicas;
    this.list = new Int32Array(balancers * replicas);
    this.#position = new Int32Array(balancers * replicas);
    for (let b = 0; b < balancers; b++) {
      for (let r = 0; r < replicas; r++) {
        this.list[b * replicas + r] = r;
        this.#position[b * replicas + r] = r;
      }
    }
    this.#count = new Int32Array(balancers).fill(replicas);
  }

  count(b: number): number {
    return this.#count[b] as number;
  }

  /** The i-th eligible replica of balancer b, for i < count(b). */
  at(b: number, i: number): number {
    return this.list[b * this.#replicas + i] as number;
  }

  isEligible(b: number, r: number): boolean {
    return (this.#position[b * this.#replicas + r] as number) < (this.#count[b] as number);
  }

  remove(b: number, r: number): void {
    if (!this.isEligible(b, r)) return;
    this.#swap(b, this.#position[b * this.#replicas + r] as number, (this.#count[b] as number) - 1);
    this.#count[b] = (this.#count[b] as number) - 1;
  }

  restore(b: number, r: number): void {
    if (this.isEligible(b, r)) return;
    this.#swap(b, this.#position[b * this.#replicas + r] as number, this.#count[b] as number);
    this.#count[b] = (this.#count[b] as number) + 1;
  }

  #swap(b: number, i: number, j: number): void {
    const base = b * this.#replicas;
    const ri = this.list[base + i] as number;
    const rj = this.list[base + j] as number;
    this.list[base + i] = rj;
    this.list[base + j] = ri;
    this.#position[base + rj] = i;
    this.#position[base + ri] = j;
  }
}
