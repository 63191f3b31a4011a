import { API_VERSION, KIND, PLURAL } from "../api/types.js";

/** How to address one kind on the API server: enough to build list, watch and object paths without discovery. */
export interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const rt = (apiVersion: string, kind: string, plural: string, namespaced = true): ResourceType => ({
  apiVersion,
  kind,
  plural,
  namespaced,
});

/** Every kind the operator reads or writes. The ClusterRole lists exactly these (test/integration/operator/rbac.test.ts). */
export const Resources = {
  proxyService: rt(API_VERSION, KIND, PLURAL),
  service: rt("v1", "Service", "services"),
  serviceAccount: rt("v1", "ServiceAccount", "serviceaccounts"),
  deployment: rt("apps/v1", "Deployment", "deployments"),
  hpa: rt("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
  pdb: rt("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  gateway: rt("networking.istio.io/v1", "Gateway", "gateways"),
  virtualService: rt("networking.istio.io/v1", "VirtualService", "virtualservices"),
  destinationRule: rt("networking.istio.io/v1", "DestinationRule", "destinationrules"),
  envoyFilter: rt("networking.istio.io/v1alpha3", "EnvoyFilter", "envoyfilters"),
  pod: rt("v1", "Pod", "pods"),
  endpointSlice: rt("discovery.k8s.io/v1", "EndpointSlice", "endpointslices"),
  authorizationPolicy: rt("security.istio.io/v1", "AuthorizationPolicy", "authorizationpolicies"),
  event: rt("events.k8s.io/v1", "Event", "events"),
  lease: rt("coordination.k8s.io/v1", "Lease", "leases"),
} as const satisfies Record<string, ResourceType>;

const byKind = new Map<string, ResourceType>(
  Object.values(Resources).map((r): [string, ResourceType] => [`${r.apiVersion}/${r.kind}`, r]),
);

/** The resource type for an object's apiVersion and kind; throws for a kind the operator does not know. */
export function resourceFor(apiVersion: string, kind: string): ResourceType {
  const found = byKind.get(`${apiVersion}/${kind}`);
  if (!found) throw new Error(`unknown kind ${kind} in ${apiVersion}: add it to src/kube/resources.ts`);
  return found;
}

/** `/api/v1/namespaces/ns/services` or, without a namespace, the cluster-wide `/api/v1/services`. */
export function collectionPath(r: ResourceType, namespace?: string): string {
  const base = r.apiVersion.includes("/") ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${r.plural}`;
}

export function objectPath(r: ResourceType, namespace: string | undefined, name: string): string {
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}`;
}
