import type { Rng } from "./rng.js";

/** Service-time shapes; every sampler is scaled to mean 1, the simulator's unit of time. */
export type ServiceSpec =
  | { readonly kind: "exp" }
  | { readonly kind: "det" }
  | { readonly kind: "lognormal"; readonly cv: number }
  | { readonly kind: "empirical"; readonly samples: readonly number[] };

/** Draws one value; called once per request, so it must not allocate. */
export type Sampler = () => number;

/**
 * Builds a sampler with mean 1 for `spec`, drawing from `rng`. Pure apart from the generator's state.
 * Throws RangeError for a negative cv or an empty or non-positive sample set (validated earlier by the config).
 */
export function serviceSampler(spec: ServiceSpec, rng: Rng): Sampler {
  switch (spec.kind) {
    case "exp":
      return () => -Math.log(rng.uniform());
    case "det":
      return () => 1;
    case "lognormal":
      return lognormalSampler(spec.cv, rng);
    case "empirical":
      return empiricalSampler(spec.samples, rng);
  }
}

/**
 * Log-normal with mean 1 and coefficient of variation cv: if X = exp(m + s Z) then
 * E[X] = exp(m + s^2/2) and cv^2 = exp(s^2) - 1, so s^2 = ln(1 + cv^2) and m = -s^2/2
 * (standard moments of the log-normal distribution).
 */
function lognormalSampler(cv: number, rng: Rng): Sampler {
  if (!(cv >= 0)) throw new RangeError(`lognormal cv must be >= 0, got ${cv}`);
  if (cv === 0) return () => 1;
  const s2 = Math.log(1 + cv * cv);
  const s = Math.sqrt(s2);
  const m = -s2 / 2;
  const normal = normalSampler(rng);
  return () => Math.exp(m + s * normal());
}

/** Standard normal by the Box-Muller transform, keeping the second value of each pair for the next call. */
function normalSampler(rng: Rng): Sampler {
  let spare = 0;
  let hasSpare = false;
  return () => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(rng.uniform()));
    const angle = 2 * Math.PI * rng.uniform();
    spare = radius * Math.sin(angle);
    hasSpare = true;
    return radius * Math.cos(angle);
  };
}

/** Resamples the given values uniformly, rescaled so their mean is 1 (only their shape matters). */
function empiricalSampler(samples: readonly number[], rng: Rng): Sampler {
  if (samples.length === 0 || samples.some((v) => !(v >= 0))) throw new RangeError("empirical samples must be a non-empty list of numbers >= 0");
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  if (!(mean > 0)) throw new RangeError("empirical samples must have a positive mean");
  const scaled = Float64Array.from(samples, (v) => v / mean);
  return () => scaled[rng.int(scaled.length)] ?? 1;
}
