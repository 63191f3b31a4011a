import type { V1ObjectMeta } from "@kubernetes/client-node";

/**
 * Any object as the API server sends it, plain JSON. Metadata uses client-node's type to interoperate with
 * src/api, but note its timestamps are really RFC 3339 strings here (we never deserialize into client-node's
 * model classes, see http.ts): read them with `timeOf`.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
  [field: string]: unknown;
}

/** Milliseconds since the epoch of a metadata timestamp, whether it arrived as a string or a Date. */
export function timeOf(t: Date | string | undefined): number {
  return t === undefined ? 0 : new Date(t).getTime();
}

/** `namespace/name`: the key of the work queue and of every store. */
export type ObjectKey = string;

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): ObjectKey {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

export function splitKey(key: ObjectKey): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
