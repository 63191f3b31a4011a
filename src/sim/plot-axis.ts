/**
 * Axis ranges and tick positions for the SVG line plot. Pure.
 *
 * Linear ticks use the usual 1-2-5 "nice number" steps, so labels are round; log ticks sit on
 * powers of ten, with 2 and 5 added when the range spans less than two decades (otherwise a
 * narrow log axis would show one tick or none).
 */
export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
  readonly ticks: readonly number[];
}

const TARGET_TICKS = 6;

/**
 * Chooses a range that covers `values` and round tick marks inside it. Non-finite values are
 * ignored, and so are values <= 0 on a log axis. `includeZero` starts a linear axis at 0 when the
 * data are positive, so line heights compare as ratios (used for latency axes).
 */
export function niceAxis(values: readonly number[], log: boolean, includeZero = false): Axis {
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (usable.length === 0) return log ? { min: 1, max: 10, log, ticks: [1, 10] } : { min: 0, max: 1, log, ticks: [0, 0.5, 1] };
  const lo = Math.min(...usable);
  const hi = Math.max(...usable);
  return log ? logAxis(lo, hi) : linearAxis(includeZero && lo > 0 ? 0 : lo, hi);
}

function linearAxis(lo: number, hi: number): Axis {
  // A flat series still needs a visible range; pad around the single value.
  const span = hi > lo ? hi - lo : Math.abs(hi) > 0 ? Math.abs(hi) * 0.2 : 1;
  const step = niceStep(span / (TARGET_TICKS - 1));
  let min = Math.floor((hi > lo ? lo : lo - span / 2) / step) * step;
  const max = Math.ceil((hi > lo ? hi : hi + span / 2) / step) * step;
  // Latencies and loads are non-negative: starting the axis at 0 keeps ratios readable when it costs little room.
  if (min > 0 && min < (max - min) * 0.5) min = 0;
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step * 1e-9; i++) ticks.push(roundTo(min + i * step, step));
  return { min, max, log: false, ticks };
}

function logAxis(lo: number, hi: number): Axis {
  const minExp = Math.floor(Math.log10(lo));
  let maxExp = Math.ceil(Math.log10(hi));
  if (maxExp === minExp) maxExp += 1;
  const mantissas = maxExp - minExp <= 2 ? [1, 2, 5] : [1];
  const candidates: number[] = [];
  for (let e = minExp; e <= maxExp; e++) for (const m of mantissas) candidates.push(Number((m * 10 ** e).toPrecision(12)));
  // The axis ends at the ticks just outside the data, not at whole decades, so a 10..300 range
  // does not waste a third of the plot on 300..1000.
  const min = candidates.filter((t) => t <= lo * (1 + 1e-9)).at(-1) ?? 10 ** minExp;
  const max = candidates.find((t) => t >= hi * (1 - 1e-9)) ?? 10 ** maxExp;
  const ticks = candidates.filter((t) => t >= min && t <= max);
  return { min, max: max > min ? max : min * 10, log: true, ticks };
}

function niceStep(raw: number): number {
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * base;
}

function roundTo(v: number, step: number): number {
  // Removes floating-point noise such as 0.30000000000000004 from tick labels.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(digits, 15)));
}

/** Maps a data value to [0, 1] along the axis. */
export function axisFraction(axis: Axis, v: number): number {
  if (axis.log) return (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  return (v - axis.min) / (axis.max - axis.min);
}

/** A short label: at most 4 significant digits, SI suffix from 10^4 on. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(4)));
}
