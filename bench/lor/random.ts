/** A seeded uniform generator on [0, 1): the testbed's schedules and service times repeat for a given seed. */
export type Uniform = () => number;

/**
 * Returns a small, fast, seeded generator (mulberry32). Statistical quality is ample for arrival
 * schedules and service times; it is not for cryptography.
 */
export function seededUniform(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A service-time distribution, given by its mean; `lognormal` also by its coefficient of variation. */
export type ServiceDistribution =
  | { kind: "exp" }
  | { kind: "det" }
  | { kind: "lognormal"; cv: number };

/**
 * Parses `exp`, `det` or `lognormal[:cv]` (cv defaults to 1), the same spelling as
 * `proxy-service simulate --service`. Throws naming the flag on anything else.
 */
export function parseService(text: string): ServiceDistribution {
  if (text === "exp" || text === "det") return { kind: text };
  const m = /^lognormal(?::([0-9.]+))?$/.exec(text);
  if (m) {
    const cv = m[1] === undefined ? 1 : Number(m[1]);
    if (!(cv > 0)) throw new Error(`--service: lognormal needs a positive cv, got "${text}"`);
    return { kind: "lognormal", cv };
  }
  throw new Error(`--service: unknown distribution "${text}"; use exp, det or lognormal[:cv]`);
}

/** Formats a distribution back into the `--service` spelling. */
export function formatService(d: ServiceDistribution): string {
  return d.kind === "lognormal" ? `lognormal:${d.cv}` : d.kind;
}

/** Returns a sampler of the distribution with the given mean, drawing from `uniform`. */
export function serviceSampler(d: ServiceDistribution, mean: number, uniform: Uniform): () => number {
  switch (d.kind) {
    case "exp":
      return () => -mean * Math.log(1 - uniform());
    case "det":
      return () => mean;
    case "lognormal": {
      // For a log-normal with mean m and coefficient of variation c: sigma^2 = ln(1 + c^2), mu = ln m - sigma^2 / 2.
      const sigma2 = Math.log(1 + d.cv * d.cv);
      const mu = Math.log(mean) - sigma2 / 2;
      const sigma = Math.sqrt(sigma2);
      return () => Math.exp(mu + sigma * standardNormal(uniform));
    }
  }
}

/** A standard normal draw by Box-Muller (one of the pair is discarded: simplicity over speed). */
function standardNormal(uniform: Uniform): number {
  const u = 1 - uniform();
  const v = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
