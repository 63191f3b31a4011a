import type { V1Service } from "@kubernetes/client-node";
import type { ProxyService } from "../api/types.js";
import type { KubeObject } from "../kube/object.js";
import { Resources, type ResourceType } from "../kube/resources.js";
import type { EndpointSliceSummary } from "./endpoint-slices.js";
import type { ProxyPodSummary } from "./proxy-pods.js";
import type { StoreReader } from "../runtime/store.js";

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
