/**
 * The mesh config defaults the operator assumes (Istio's own: meshConfig.rootNamespace and trustDomain).
 * One place, so the advisory conditions and the caches that feed them agree.
 */

/** Mesh config's default rootNamespace: its policies and DestinationRules apply to workloads in every namespace. */
export const DEFAULT_ROOT_NAMESPACE = "istio-system";
/** Mesh config's default trustDomain, the first part of every principal. */
export const DEFAULT_TRUST_DOMAIN = "cluster.local";

/** The cluster-local FQDN of Service `name` in `namespace`, as istiod names its hosts (the cluster domain is cluster.local). */
export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}
