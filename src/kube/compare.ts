import { compareCodeUnits } from "../api/order.js";

/**
 * True when every field set in `want` has the same value in `have`. Objects may carry more keys in `have`
 * (defaults the API server filled in); arrays must have the same length and match element by element.
 * This is how a reconcile decides that an owned object needs no write at all: zero writes when idle.
 * Pure.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (want === null || want === undefined) return true;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => isSubset(w, have[i]));
  }
  if (typeof want === "object") {
    if (typeof have !== "object" || have === null || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).every(([k, w]) => isSubset(w, h[k]));
  }
  return normalize(want) === normalize(have);
}

/** Deep equality of JSON values: key order and undefined-valued keys ignored. Pure. */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => compareCodeUnits(a, b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

// Numbers and strings of the same value compare equal ("80" vs 80 never happens in valid objects, but
// intstr fields like targetPort may come back either way).
function normalize(v: unknown): string {
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
}
