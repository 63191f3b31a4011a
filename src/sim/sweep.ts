import type { SweepKey } from "./options.js";
import type { SimResult } from "./simulate.js";

/** One swept option and its values, in the order given on the command line. */
export interface SweepAxis {
  readonly key: SweepKey;
  readonly values: readonly string[];
}

/** The swept options' values for one configuration. */
export type SweepPoint = Readonly<Partial<Record<SweepKey, string>>>;

/** One simulated configuration of a sweep. */
export interface SweepRun {
  readonly point: SweepPoint;
  readonly result: SimResult;
}

/**
 * The cartesian product of the axes, the first axis varying slowest (so tables group by it).
 * No axes give one empty point: a plain run is a sweep of one. Pure. Repeating a key is an
 * error, since the later values would silently replace the earlier ones.
 */
export function expandSweep(axes: readonly SweepAxis[]): SweepPoint[] {
  const seen = new Set<SweepKey>();
  for (const a of axes) {
    if (seen.has(a.key)) throw new RangeError(`${a.key} is swept twice; give all its values in one --sweep ${a.key}=...`);
    seen.add(a.key);
  }
  let points: SweepPoint[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.key]: v })));
  return points;
}

/** A row comparing the first value of a swept key (e.g. mode=sidecar) with another, at equal other settings. */
export interface Comparison {
  /** The other swept settings that the two runs share. */
  readonly rest: SweepPoint;
  readonly baseline: string;
  readonly other: string;
  /** baseline / other: above 1 means `other` is faster. */
  readonly meanRatio: number;
  readonly p95Ratio: number;
  readonly p99Ratio: number;
}

/**
 * Compares runs that differ only in `key`: for each value after the first, the ratio of the
 * first value's latency to that value's. With `--sweep mode=sidecar,proxy` this is the gain a
 * ProxyService brings (sidecar / proxy). Pure.
 */
export function compareBy(runs: readonly SweepRun[], key: SweepKey, values: readonly string[]): Comparison[] {
  const [baseline, ...others] = values;
  if (baseline === undefined) return [];
  const restKey = (p: SweepPoint): string => JSON.stringify(Object.entries(p).filter(([k]) => k !== key));
  const byRest = new Map<string, Map<string, SweepRun>>();
  for (const run of runs) {
    const k = restKey(run.point);
    const group = byRest.get(k) ?? new Map<string, SweepRun>();
    group.set(run.point[key] ?? "", run);
    byRest.set(k, group);
  }
  const out: Comparison[] = [];
  for (const group of byRest.values()) {
    const base = group.get(baseline);
    if (base === undefined) continue;
    const rest = Object.fromEntries(Object.entries(base.point).filter(([k]) => k !== key));
    for (const other of others) {
      const run = group.get(other);
      if (run === undefined) continue;
      out.push({
        rest,
        baseline,
        other,
        meanRatio: base.result.mean / run.result.mean,
        p95Ratio: base.result.p95 / run.result.p95,
        p99Ratio: base.result.p99 / run.result.p99,
      });
    }
  }
  return out;
}
