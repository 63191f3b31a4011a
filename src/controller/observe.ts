import type { V1Service } from "@kubernetes/client-node";
import { readTakeoverRecord } from "../api/takeover.js";
import { defaultTarget } from "../api/defaults.js";
import type { ProxyService } from "../api/types.js";
import { FIELD_MANAGER } from "../kube/client.js";
import { timeOf, type KubeObject } from "../kube/object.js";
import type { Caches } from "./caches.js";

/** What a reconcile knows about the cluster, read from the caches only: the input of planFor. */
export interface Observed {
  /** spec.serviceName and spec.target as they are now. */
  readonly service?: V1Service;
  readonly target?: V1Service;
  /** Every object in the namespace controlled by this ProxyService, by `Kind/name`. */
  readonly owned: ReadonlyMap<string, KubeObject>;
  /** The ProxyService that holds the claim on spec.serviceName, when it is another one. */
  readonly claimedBy?: string;
  /** Field managers other than ours that own spec.selector of spec.serviceName, most recent first. */
  readonly selectorManagers: readonly string[];
  /** How many times recently the takeover was found reverted (kept in memory by the reconciler). */
  readonly recentReverts: number;
}

export const ownedKey = (kind: string, name: string): string => `${kind}/${name}`;

/** Reads what planFor needs from the caches. No API calls: the API server sees our writes alone. */
export function observe(proxyService: ProxyService & KubeObject, caches: Caches, recentReverts: number): Observed {
  const namespace = proxyService.metadata.namespace ?? "";
  const { serviceName } = proxyService.spec;
  const target = proxyService.spec.target ?? defaultTarget(serviceName);
  const service = caches.services.get(`${namespace}/${serviceName}`);
  const uid = proxyService.metadata.uid;
  const owned = new Map<string, KubeObject>();
  const isOurs = (o: KubeObject): boolean => (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
  for (const store of [caches.services, ...caches.owned.values()]) {
    for (const o of store.list(namespace)) if (isOurs(o)) owned.set(ownedKey(o.kind, o.metadata.name), o);
  }
  const claimedBy = claimHolder(proxyService, service, caches);
  return {
    service,
    target: caches.services.get(`${namespace}/${target}`),
    owned,
    ...(claimedBy !== undefined && claimedBy !== proxyService.metadata.name ? { claimedBy } : {}),
    selectorManagers: selectorManagers(service),
    recentReverts,
  };
}

/**
 * Who may take spec.serviceName over, when several ProxyServices name it: the one its takeover record
 * names (it already did), else the one that created it, else the oldest (then by name), so every replica
 * and every reconcile picks the same one without coordination. Undefined when this one is alone.
 */
function claimHolder(proxyService: ProxyService & KubeObject, service: V1Service | undefined, caches: Caches): string | undefined {
  const namespace = proxyService.metadata.namespace ?? "";
  const rivals = caches.proxyServices
    .list(namespace)
    .filter((p) => p.spec.serviceName === proxyService.spec.serviceName && p.metadata.uid !== proxyService.metadata.uid);
  if (rivals.length === 0) return undefined;
  const names = new Set([proxyService.metadata.name, ...rivals.map((p) => p.metadata.name)]);
  let recorded: string | undefined;
  try {
    recorded = readTakeoverRecord(service)?.proxyService;
  } catch {
    recorded = undefined; // a malformed record is reported by render; it decides nothing here
  }
  if (recorded !== undefined && names.has(recorded)) return recorded;
  const creator = service?.metadata?.ownerReferences?.find((r) => r.kind === "ProxyService" && r.controller)?.name;
  if (creator !== undefined && names.has(creator)) return creator;
  const oldest = [proxyService, ...rivals].sort(
    (a, b) =>
      timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp) ||
      a.metadata.name.localeCompare(b.metadata.name),
  )[0];
  return oldest?.metadata.name;
}

/** Field managers, other than ours, that own the Service's selector (from managedFields), newest first. */
function selectorManagers(service: V1Service | undefined): string[] {
  const entries = (service?.metadata?.managedFields ?? []).filter((m) => {
    const spec = (m.fieldsV1 as Record<string, Record<string, unknown> | undefined> | undefined)?.["f:spec"];
    return m.manager !== FIELD_MANAGER && spec !== undefined && "f:selector" in spec;
  });
  return entries
    .sort((a, b) => timeOf(b.time) - timeOf(a.time))
    .map((m) => m.manager ?? "unknown")
    .filter((m, i, all) => all.indexOf(m) === i);
}
