import type { V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import { Labels } from "./labels.js";
import { OPERATOR_NAME } from "./names.js";
import { KIND } from "./types.js";

// "Is this object ours?", answered in one place. An object a ProxyService owns carries a controller
// ownerReference to it (render/metadata.ts writes it); the uid names one ProxyService for good, while a name
// can come back as a new object.

/** The controller ownerReference to a ProxyService among `metadata`'s, if any. Pure. */
export function proxyServiceControllerOf(metadata: { readonly ownerReferences?: readonly V1OwnerReference[] } | undefined): V1OwnerReference | undefined {
  return (metadata?.ownerReferences ?? []).find((r) => r.kind === KIND && r.controller === true);
}

/** Whether some ProxyService controls the object (a user's object never has such an ownerReference). Pure. */
export function isControlledByProxyService(object: { readonly metadata?: { readonly ownerReferences?: readonly V1OwnerReference[] } }): boolean {
  return proxyServiceControllerOf(object.metadata) !== undefined;
}

/**
 * Whether `object` belongs to this ProxyService: an ownerReference has its uid, or (no uid known, as in
 * `proxy-service render` of a file) the object carries its managed-by and instance labels. Pure.
 */
export function isOwnedBy(
  object: { readonly metadata?: V1ObjectMeta } | undefined,
  proxyService: { readonly metadata: Pick<V1ObjectMeta, "uid" | "name"> },
): boolean {
  const metadata = object?.metadata;
  if (metadata === undefined) return false;
  const uid = proxyService.metadata.uid;
  if (uid !== undefined && uid !== "") return (metadata.ownerReferences ?? []).some((o) => o.uid === uid);
  return metadata.labels?.[Labels.managedBy] === OPERATOR_NAME && metadata.labels[Labels.instance] === proxyService.metadata.name;
}
