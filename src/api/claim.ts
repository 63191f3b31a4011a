import type { V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import { proxyServiceControllerOf } from "./ownership.js";
import type { TakeoverRecord } from "./takeover.js";
import { compareCodeUnits } from "./order.js";

/** What the claim rule needs of a ProxyService. */
interface Claimant {
  readonly metadata: Readonly<V1ObjectMeta> & { readonly name: string };
  readonly spec: { readonly serviceName: string };
}

/**
 * A takeover rule, used by the operator (observe) and `proxy-service render` alike, so it lives beside the record.
 * The one rule for who may take spec.serviceName over when several ProxyServices in a namespace name it:
 * the one its takeover record names (it already did), else the one that created it, else the oldest (then by
 * name), so every replica and every reconcile picks the same one without coordination. A record that names a
 * ProxyService that no longer exists claims nothing: the next one adopts the takeover, original included.
 * Returns the holder's name when it is another ProxyService, else undefined. Pure.
 *
 * @param rivals the other ProxyServices of the namespace (the operator's cache; the files given to `render`)
 */
export function claimedByAnother(
  proxyService: Claimant,
  rivals: readonly Claimant[],
  record: TakeoverRecord | undefined,
  serviceOwners: readonly V1OwnerReference[] | undefined,
): string | undefined {
  const others = rivals.filter((p) => p.spec.serviceName === proxyService.spec.serviceName && p.metadata.name !== proxyService.metadata.name);
  if (others.length === 0) return undefined;
  const names = new Set([proxyService.metadata.name, ...others.map((p) => p.metadata.name)]);
  const creator = proxyServiceControllerOf({ ownerReferences: serviceOwners })?.name;
  const holder =
    (record !== undefined && names.has(record.proxyService) ? record.proxyService : undefined) ??
    (creator !== undefined && names.has(creator) ? creator : undefined) ??
    [proxyService, ...others].sort((a, b) => timeOf(a) - timeOf(b) || compareCodeUnits(a.metadata.name, b.metadata.name))[0]?.metadata.name;
  return holder === proxyService.metadata.name ? undefined : holder;
}

const timeOf = (p: Claimant): number => (p.metadata.creationTimestamp === undefined ? 0 : new Date(p.metadata.creationTimestamp).getTime());
