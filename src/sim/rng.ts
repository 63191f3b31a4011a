/**
 * A small, fast, seedable pseudo-random generator, so a simulation is reproducible from its seed
 * (Math.random cannot be seeded).
 *
 * Algorithm: xoshiro128** by D. Blackman and S. Vigna ("Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021; reference description at prng.di.unimi.it). It has a 2^128 - 1
 * period and passes BigCrush; 32-bit operations suit JavaScript (Math.imul, >>> 0). The state is
 * seeded through splitmix32-style mixing so that nearby seeds (1, 2, 3) give unrelated streams.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      // splitmix32 step: a Weyl increment followed by an avalanche, so every state word differs.
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    // An all-zero state would be a fixed point; mixing makes it practically impossible, but guard anyway.
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /**
   * A uniform number in (0, 1): never 0, so -log(u) is finite. 32 bits of resolution are enough
   * for queueing simulation (the largest exponential draw is about 22 mean service times) and keep
   * each draw to one generator step.
   */
  uniform(): number {
    return (this.nextUint32() + 0.5) * 2.3283064365386963e-10;
  }

  /** A uniform integer in [0, n) for n <= 2^32; the bias of the multiply-shift method is below n / 2^32. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
