import type { V1Service } from "@kubernetes/client-node";
import { claimedByAnother } from "../api/claim.js";
import { observeRecord, type TakeoverRecord } from "../api/takeover.js";
import { targetOf } from "../api/defaults.js";
import type { AuthorizationPolicy } from "../api/hidden-principals.js";
import { DEFAULT_ROOT_NAMESPACE } from "../api/mesh.js";
import { isOwnedBy } from "../api/ownership.js";
import { Labels, proxySelectorValue } from "../api/labels.js";
import type { ProxyService } from "../api/types.js";
import { FIELD_MANAGER } from "../api/names.js";
import { timeOf, type KubeObject } from "../kube/object.js";
import type { Caches } from "./caches.js";
import { concernsProxyService } from "./destination-rules.js";
import { readyEndpointsOf } from "./endpoint-slices.js";
import { givenUpUntil, type RevertHistory, type RevertTracker } from "./reverts.js";
import type { FallbackTracker, ServiceEndpoints } from "./availability.js";
import type { ProxyPodSummary } from "./proxy-pods.js";

/** What a reconcile knows about the cluster, read from the caches only: the input of planFor. */
export interface Observed {
  /** spec.serviceName and spec.target as they are now. */
  readonly service?: V1Service;
  readonly target?: V1Service;
  /** Ready endpoints of spec.target (its EndpointSlices): the pods the proxies balance over. */
  readonly targetReadyEndpoints: number;
  /** The AuthorizationPolicies of the namespace and of the mesh's root namespace (those that can select the target's pods). */
  readonly authorizationPolicies: readonly AuthorizationPolicy[];
  /** The DestinationRules not of this ProxyService whose host can name spec.serviceName or spec.target, in any watched namespace. */
  readonly otherDestinationRules: readonly KubeObject[];
  /** Every object in the namespace controlled by this ProxyService, by `Kind/name`. */
  readonly owned: ReadonlyMap<string, KubeObject>;
  /** The ProxyService that holds the claim on spec.serviceName, when it is another one. */
  readonly claimedBy?: string;
  /** Field managers other than ours that own spec.selector of spec.serviceName, most recent first. */
  readonly selectorManagers: readonly string[];
  /** The takeover record on spec.serviceName, decoded once here (observeRecord), or why it could not be. */
  readonly record?: TakeoverRecord;
  readonly recordError?: string;
  /** Earlier reverts of the takeover, for the current generation (see reverts.ts). */
  readonly reverts: RevertHistory;
  /** This ProxyService's proxy pods (their readiness and why not): what the availability rule judges. */
  readonly proxyPods: readonly ProxyPodSummary[];
  /** Ready endpoints of spec.serviceName's own EndpointSlices, and when we last wrote it (availability.ts). */
  readonly serviceEndpoints: ServiceEndpoints;
  /** How often spec.serviceName fell back within the flap window (availability.ts). */
  readonly recentFallbacks: number;
  /** How long ago spec.serviceName last fell back, as this operator saw it; Infinity if it did not. */
  readonly sinceLastFallbackMs: number;
  /** The clock at this observation (ms since the epoch), so that the plan stays pure. */
  readonly now: number;
}

export const ownedKey = (kind: string, name: string): string => `${kind}/${name}`;

/** Reads what planFor needs from the caches. No API calls: the API server sees our writes alone. */
export function observe(
  proxyService: ProxyService & KubeObject,
  caches: Caches,
  memory: { readonly reverts: RevertTracker; readonly fallbacks: FallbackTracker; readonly now: number },
): Observed {
  const namespace = proxyService.metadata.namespace ?? "";
  const { serviceName } = proxyService.spec;
  const target = targetOf(proxyService.spec);
  const service = caches.services.get(`${namespace}/${serviceName}`);
  const owned = ownedObjects(proxyService, caches);
  const decoded = observeRecord(service);
  const { record } = decoded;
  const rivals = caches.proxyServices.list(namespace).filter((p) => p.metadata.uid !== proxyService.metadata.uid);
  const claimedBy = claimedByAnother(proxyService as ProxyService & { metadata: { name: string } }, rivals, record, service?.metadata?.ownerReferences);
  const key = `${namespace}/${proxyService.metadata.name}`;
  const generation = proxyService.metadata.generation ?? 0;
  return {
    service,
    target: caches.services.get(`${namespace}/${target}`),
    targetReadyEndpoints: readyEndpointsOf(caches.endpointSlices, namespace, target),
    otherDestinationRules: caches.destinationRules
      .list()
      .filter((r) => !isOwnedBy(r, proxyService) && concernsProxyService(r, proxyService)),
    authorizationPolicies: [...caches.authorizationPolicies.list(namespace), ...(namespace === DEFAULT_ROOT_NAMESPACE ? [] : caches.authorizationPolicies.list(DEFAULT_ROOT_NAMESPACE))],
    owned,
    ...(claimedBy !== undefined ? { claimedBy } : {}),
    ...decoded,
    selectorManagers: selectorManagers(service),
    reverts: memory.reverts.history(key, generation, service?.metadata?.resourceVersion, memory.now, givenUpUntil(proxyService)),
    proxyPods: caches.proxyPods.list(namespace).filter((p) => p.metadata.labels?.[Labels.proxy] === proxySelectorValue(namespace, proxyService.metadata.name ?? "")),
    serviceEndpoints: { service: serviceName, ready: readyEndpointsOf(caches.endpointSlices, namespace, serviceName), writtenAt: lastWrittenByUs(service) },
    recentFallbacks: memory.fallbacks.recent(key, memory.now),
    sinceLastFallbackMs: memory.fallbacks.sinceLast(key, memory.now),
    now: memory.now,
  };
}

/** Proxy pods that serve (Ready, not being deleted). */
export function servingProxies(observed: Pick<Observed, "proxyPods">): number {
  return observed.proxyPods.filter((p) => p.serving).length;
}

/** Every object in the caches controlled by this ProxyService (by ownerReference uid), by `Kind/name`. */
export function ownedObjects(proxyService: ProxyService & KubeObject, caches: Caches): Map<string, KubeObject> {
  const owned = new Map<string, KubeObject>();
  const uid = proxyService.metadata.uid ?? "";
  for (const store of [caches.services, ...caches.owned.values()]) {
    for (const o of store.ownedBy(uid)) owned.set(ownedKey(o.kind, o.metadata.name), o);
  }
  return owned;
}

/** When our field manager last changed the Service's selector entry (managedFields keep whole seconds); undefined if never. */
function lastWrittenByUs(service: V1Service | undefined): number | undefined {
  const ours = (service?.metadata?.managedFields ?? []).filter((m) => m.manager === FIELD_MANAGER && m.time !== undefined);
  return ours.length === 0 ? undefined : Math.max(...ours.map((m) => timeOf(m.time)));
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
