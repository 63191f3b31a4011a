import type { V1Service } from "@kubernetes/client-node";
import { Labels } from "../api/labels.js";
import { DEFAULT_ROOT_NAMESPACE } from "../api/mesh.js";
import { OPERATOR_NAME } from "../api/names.js";
import type { ProxyService } from "../api/types.js";
import type { KubeObject } from "../kube/object.js";
import { Resources, type ResourceType } from "../kube/resources.js";
import { Informer, type InformerDeps, type Scope } from "../runtime/informer.js";
import type { StoreReader } from "../runtime/store.js";
import { ownedTransform, slim, slimAuthorizationPolicy, slimService } from "./cache-transforms.js";
import { summarizeEndpointSlice, type EndpointSliceSummary } from "./endpoint-slices.js";
import { NamespaceScopes, type ScopedCache } from "./namespace-scopes.js";
import { PROXY_POD_SELECTOR, summarizeProxyPod, type ProxyPodSummary } from "./proxy-pods.js";

/** The kinds the operator owns (besides Services): their caches hold only objects labelled managed-by us. */
export const OWNED_KINDS: readonly ResourceType[] = [
  Resources.serviceAccount,
  Resources.deployment,
  Resources.hpa,
  Resources.pdb,
  Resources.gateway,
  Resources.virtualService,
  Resources.destinationRule,
  Resources.envoyFilter,
];

/** Read-only views of every cache the reconciler reads. */
export interface Caches {
  readonly proxyServices: StoreReader<ProxyService & KubeObject>;
  /**
   * The Services of the namespaces that hold a ProxyService (NamespaceScopes; a reconcile runs only once its
   * namespace is cached): the user's Services are not labelled, so no label filter here. Slim, with only the
   * selector's managers kept of managedFields (cache-transforms.ts).
   */
  readonly services: StoreReader<V1Service & KubeObject>;
  /** Every EndpointSlice of the namespaces that hold a ProxyService, as a summary (whose, how many ready): the target's ready pods. */
  readonly endpointSlices: StoreReader<EndpointSliceSummary>;
  /**
   * Every DestinationRule of the watched namespaces, ours and the users' (the owned map reads the same store);
   * the users' stripped to what the DestinationRules condition reads.
   */
  readonly destinationRules: StoreReader<KubeObject>;
  /**
   * The users' AuthorizationPolicies (none is ours) of the namespaces that hold a ProxyService and of the
   * mesh's root namespace when it is watched: what the CallerIdentity condition judges.
   */
  readonly authorizationPolicies: StoreReader<KubeObject>;
  /** The proxy pods of every ProxyService (label-selected), as summaries: whether each serves, and why not. */
  readonly proxyPods: StoreReader<ProxyPodSummary>;
  /** The other owned kinds, by `apiVersion/kind`. */
  readonly owned: ReadonlyMap<string, StoreReader<KubeObject>>;
}

export const kindKey = (r: { apiVersion: string; kind: string }): string => `${r.apiVersion}/${r.kind}`;

/** The informers behind `Caches`, and the NamespaceScopes that start and stop the namespace-scoped ones. */
export interface CacheInformers {
  readonly caches: Caches;
  /** Every informer, ProxyServices first: the caller registers its handlers, then starts and stops them. */
  readonly informers: readonly Pick<Informer<KubeObject>, "onChange" | "start" | "stop" | "synced">[];
  readonly namespaceScopes: NamespaceScopes;
}

/**
 * The informer of every kind the reconciler reads, each with what its cache keeps and where it watches
 * (docs/operator.md, "Caches"). Not started. The ProxyServices' informer already has NamespaceScopes'
 * handler, so any handler the caller adds runs after it: a ProxyService in a new namespace has that
 * namespace's caches started before its reconcile is queued.
 */
export function newCacheInformers(scopes: readonly Scope[], deps: InformerDeps): CacheInformers {
  const proxyServices = new Informer<ProxyService & KubeObject>(Resources.proxyService, scopes, deps, undefined, slim);
  // Owned kinds: only our objects are cached (label selector), so the cache stays small on big clusters.
  // DestinationRules are the exception: the users' are cached too, in every watched namespace, stripped to
  // what the DestinationRules condition reads (a user's rule anywhere can take our place).
  // Each kind keeps only what its readers use, status included (cache-transforms.ts).
  const owned = OWNED_KINDS.map(
    (r) => new Informer<KubeObject>(r, scopes, deps, r === Resources.destinationRule ? undefined : `${Labels.managedBy}=${OPERATOR_NAME}`, ownedTransform(r)),
  );
  const destinationRules = owned.find((i) => i.resource === Resources.destinationRule)!;
  // The user's kinds that a reconcile reads in its own namespace only: cached in the namespaces that hold a
  // ProxyService (NamespaceScopes), so the rest of the cluster costs nothing (docs/operator.md, "Caches").
  // Services keep the managers of spec.selector: they name the field manager that reverted a takeover.
  const services = new Informer<V1Service & KubeObject>(Resources.service, [], deps, undefined, slimService);
  // EndpointSlices as a summary (whose, how many ready): the target's ready pods.
  const endpointSlices = new Informer<EndpointSliceSummary>(Resources.endpointSlice, [], deps, undefined, summarizeEndpointSlice);
  // AuthorizationPolicies, and always the mesh's root namespace's when it is watched: those select pods anywhere.
  const rootWatched = scopes.includes(undefined) || scopes.includes(DEFAULT_ROOT_NAMESPACE);
  const authorizationPolicies = new Informer<KubeObject>(Resources.authorizationPolicy, rootWatched ? [DEFAULT_ROOT_NAMESPACE] : [], deps, undefined, slimAuthorizationPolicy);
  const namespaceScopes = new NamespaceScopes(
    [services, endpointSlices, authorizationPolicies] as ScopedCache[],
    proxyServices.store,
    new Map([[authorizationPolicies as ScopedCache, new Set(rootWatched ? [DEFAULT_ROOT_NAMESPACE] : [])]]),
  );
  // Before the work queue's handler: a ProxyService in a new namespace has its caches started first.
  proxyServices.onChange(namespaceScopes.follow);
  // The proxy pods only (label-selected): their readiness decides the takeover and the fallback (availability.ts).
  const proxyPods = new Informer<ProxyPodSummary>(Resources.pod, scopes, deps, PROXY_POD_SELECTOR, summarizeProxyPod);
  const caches: Caches = {
    proxyServices: proxyServices.store,
    services: services.store,
    endpointSlices: endpointSlices.store,
    authorizationPolicies: authorizationPolicies.store,
    proxyPods: proxyPods.store,
    destinationRules: destinationRules.store,
    owned: new Map(owned.map((i) => [kindKey(i.resource), i.store])),
  };
  return { caches, informers: [proxyServices, services, endpointSlices, authorizationPolicies, proxyPods, ...owned], namespaceScopes };
}
