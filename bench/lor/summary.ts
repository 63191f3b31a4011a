/** Latency summary statistics over one run's measured requests. */
export interface LatencySummary {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Mean and nearest-rank percentiles of `values` (all zero for an empty sample). Does not modify `values`. */
export function summarize(values: Float64Array): LatencySummary {
  if (values.length === 0) return { mean: 0, p50: 0, p95: 0, p99: 0 };
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return { mean: total / sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
