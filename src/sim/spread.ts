/** Per-replica share of requests relative to a perfectly even split (1 = even): min, max and coefficient of variation. */
export function loadSpread(counts: Float64Array): { min: number; max: number; cv: number } {
  const n = counts.length;
  const mean = counts.reduce((a, b) => a + b, 0) / n;
  if (!(mean > 0)) return { min: Number.NaN, max: Number.NaN, cv: Number.NaN };
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let sq = 0;
  for (const v of counts) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sq += (v - mean) ** 2;
  }
  return { min: min / mean, max: max / mean, cv: Math.sqrt(sq / n) / mean };
}
