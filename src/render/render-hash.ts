import { createHash } from "node:crypto";
import { Annotations } from "../api/labels.js";
import { compareCodeUnits } from "../api/order.js";

/**
 * `object` with Annotations.renderHash set to a hash of itself (as rendered, without that annotation and the
 * ownerReference): the
 * plan's subset comparison then also sees a field that the render stopped setting. Pure and deterministic
 * (keys are sorted before hashing).
 */
export function withRenderHash<T extends { metadata?: { annotations?: Record<string, string> } }>(object: T): T;
export function withRenderHash<T extends { metadata?: { annotations?: Record<string, string> } }>(object: T | undefined): T | undefined;
export function withRenderHash<T extends { metadata?: { annotations?: Record<string, string> } }>(object: T | undefined): T | undefined {
  if (object === undefined) return undefined;
  // Without the ownerReference: `proxy-service render` has no uid to put there, and must print the same hash.
  const { ownerReferences: _owner, ...metadata } = (object.metadata ?? {}) as Record<string, unknown>;
  const hash = createHash("sha256").update(canonicalJson({ ...object, metadata })).digest("hex").slice(0, 16);
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata?.annotations, [Annotations.renderHash]: hash } } };
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => compareCodeUnits(a, b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
