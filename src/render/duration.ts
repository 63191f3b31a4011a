const UNIT_NANOS: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A duration as spec.warmupDuration spells it (Go style, e.g. `1m30s`, `500ms`, `1.5s`; the schema's
 * pattern) in protobuf JSON's form, which Envoy's config requires: seconds with at most nine
 * decimals and an `s` (`90s`, `0.5s`). Throws on text the pattern would not admit. Pure.
 */
export function protoDuration(text: string): string {
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) throw new Error(`not a duration: "${text}"`);
  const nanos = parts.reduce((sum, p) => sum + Math.round(Number(p[1]) * (UNIT_NANOS[p[2] ?? ""] ?? 0)), 0);
  const seconds = Math.floor(nanos / 1e9);
  const fraction = nanos - seconds * 1e9;
  if (fraction === 0) return `${seconds}s`;
  return `${seconds}.${String(fraction).padStart(9, "0").replace(/0+$/, "")}s`;
}
