/**
 * Times on the command line are numbers in units of the mean service time ("0.05"), or durations
 * with a unit ("2ms"), which need the mean service time in real units to convert. Pure.
 */
const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1 };
const DURATION = /^\s*((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(ns|us|µs|ms|s)?\s*$/i;

/** A parsed time: either relative (in mean service times) or absolute (in seconds). */
export type ParsedTime = { readonly kind: "relative"; readonly value: number } | { readonly kind: "seconds"; readonly value: number };

/** Parses "0.5" or "20ms"; returns undefined when the text is neither. */
export function parseTime(text: string): ParsedTime | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return undefined;
  const unit = m[2]?.toLowerCase();
  return unit === undefined ? { kind: "relative", value } : { kind: "seconds", value: value * (SECONDS_PER_UNIT[unit] ?? Number.NaN) };
}

