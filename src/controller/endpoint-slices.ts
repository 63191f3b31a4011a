import type { KubeObject } from "../kube/object.js";
import type { StoreReader } from "../runtime/store.js";

/** The label the EndpointSlice controller puts on every slice: the name of its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * What the operator keeps of an EndpointSlice: whose it is and how many of its endpoints are ready. The
 * GlobalView condition needs only the count of ready target pods, and a slice's endpoint list is most of
 * its size, so the cache holds this summary, not the slice (controller-runtime's cache transforms do the same).
 */
export interface EndpointSliceSummary extends KubeObject {
  readonly addressType?: string;
  readonly readyEndpoints: number;
}

interface EndpointSlice extends KubeObject {
  readonly addressType?: string;
  readonly endpoints?: readonly { readonly conditions?: { readonly ready?: boolean } }[] | null;
}

/** The informer's transform. An endpoint whose `ready` is unset counts as ready, as the API documents. */
export function summarizeEndpointSlice(slice: KubeObject): EndpointSliceSummary {
  const s = slice as EndpointSlice;
  const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return {
    apiVersion: s.apiVersion,
    kind: "EndpointSlice",
    metadata: {
      name: s.metadata.name,
      namespace: s.metadata.namespace,
      resourceVersion: s.metadata.resourceVersion,
      ...(service !== undefined ? { labels: { [SERVICE_NAME_LABEL]: service } } : {}),
    },
    ...(s.addressType !== undefined ? { addressType: s.addressType } : {}),
    readyEndpoints: (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length,
  };
}

/**
 * Ready endpoints of Service `namespace/name`, summed over its slices of one address type (a dual-stack
 * Service lists each pod once per family, so families are not added up: the largest one counts).
 */
export function readyEndpointsOf(slices: StoreReader<EndpointSliceSummary>, namespace: string, name: string): number {
  const byFamily = new Map<string, number>();
  for (const s of slices.list(namespace)) {
    if (s.metadata.labels?.[SERVICE_NAME_LABEL] !== name) continue;
    const family = s.addressType ?? "";
    byFamily.set(family, (byFamily.get(family) ?? 0) + s.readyEndpoints);
  }
  return Math.max(0, ...byFamily.values());
}
