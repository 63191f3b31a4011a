import type { ArrivalSpec } from "./config.js";
import type { Rng } from "./rng.js";

/** Returns the gap to the next arrival; called once per request, so it must not allocate. */
export type GapSource = () => number;

/**
 * Interarrival gaps with mean 1/rate. Poisson arrivals have exponential gaps. A trace keeps its
 * own gaps, in order and cyclically, but rescaled so their mean is 1/rate: the trace supplies the
 * shape (bursts, lulls) and `--load` the level, so the trace's time unit does not matter.
 */
export function arrivalGaps(spec: ArrivalSpec, rate: number, rng: Rng): GapSource {
  if (spec.kind === "poisson") return () => -Math.log(rng.uniform()) / rate;
  const times = spec.times;
  const first = times[0] as number;
  const last = times[times.length - 1] as number;
  const scale = 1 / rate / ((last - first) / (times.length - 1));
  const gaps = new Float64Array(times.length - 1);
  for (let i = 1; i < times.length; i++) gaps[i - 1] = ((times[i] as number) - (times[i - 1] as number)) * scale;
  let next = 0;
  return () => {
    const g = gaps[next] as number;
    next = next + 1 === gaps.length ? 0 : next + 1;
    return g;
  };
}
