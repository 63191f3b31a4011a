import type { V1ObjectMeta, V1OwnerReference, V1Service } from "@kubernetes/client-node";
import { API_VERSION, KIND, type DefaultedProxyService } from "../api/types.js";
import { ownedLabelsOf, proxyPodSelector } from "../api/labels.js";
import { selectsExactly } from "../api/takeover.js";

/** The labels every owned object carries. */
export function ownedLabels(proxyService: DefaultedProxyService): Record<string, string> {
  return ownedLabelsOf(proxyService.metadata.name);
}

/**
 * Name, namespace, labels and the controller ownerReference of an owned object, in one place.
 * The ownerReference needs the ProxyService's uid, which only the API server assigns: when the
 * input has none (`proxy-service render` of a file), it is left out rather than invented.
 */
export function ownedMetadata(proxyService: DefaultedProxyService, name: string): V1ObjectMeta {
  const metadata: V1ObjectMeta = {
    name,
    namespace: proxyService.metadata.namespace,
    labels: ownedLabels(proxyService),
  };
  const owner = ownerReference(proxyService);
  if (owner !== undefined) metadata.ownerReferences = [owner];
  return metadata;
}

/** The controller ownerReference to the ProxyService, or undefined when it has no uid yet. */
export function ownerReference(proxyService: DefaultedProxyService): V1OwnerReference | undefined {
  const uid = proxyService.metadata.uid;
  if (uid === undefined || uid === "") return undefined;
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: proxyService.metadata.name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The label selecting this ProxyService's proxy pods, unique across namespaces. */
export function proxySelector(proxyService: DefaultedProxyService): Record<string, string> {
  return proxyPodSelector(proxyService.metadata.namespace, proxyService.metadata.name);
}

/**
 * Whether `service` selects exactly this ProxyService's proxy pods: "the selector is ours", the one test
 * of it (a selector with one more or one less label is somebody else's). Pure.
 */
export function isSelectingProxies(proxyService: DefaultedProxyService, service: V1Service | undefined): boolean {
  return selectsExactly(service?.spec?.selector, proxySelector(proxyService));
}
