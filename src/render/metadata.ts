import type { V1ObjectMeta, V1OwnerReference, V1Service } from "@kubernetes/client-node";
import { API_VERSION, KIND, type DefaultedProxyService } from "../api/types.js";
import { APP_NAME, Labels, OPERATOR_NAME, proxySelectorValue } from "../api/labels.js";
import { selectsExactly } from "../api/takeover.js";

/** The labels every owned object carries. */
export function ownedLabels(proxyService: DefaultedProxyService): Record<string, string> {
  return {
    [Labels.name]: APP_NAME,
    [Labels.instance]: proxyService.metadata.name,
    [Labels.managedBy]: OPERATOR_NAME,
  };
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
  return { [Labels.proxy]: proxySelectorValue(proxyService.metadata.namespace, proxyService.metadata.name) };
}

/** The cluster-local FQDN of a Service in the ProxyService's namespace. */
export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/**
 * Whether `object` belongs to this ProxyService: its controller ownerReference has the
 * ProxyService's uid, or (no uid known, as in `proxy-service render`) it has our labels.
 */
export function isOwnedBy(object: { metadata?: V1ObjectMeta } | undefined, proxyService: DefaultedProxyService): boolean {
  const metadata = object?.metadata;
  if (metadata === undefined) return false;
  const uid = proxyService.metadata.uid;
  if (uid !== undefined && uid !== "") return (metadata.ownerReferences ?? []).some((o) => o.uid === uid);
  return metadata.labels?.[Labels.managedBy] === OPERATOR_NAME && metadata.labels[Labels.instance] === proxyService.metadata.name;
}

/**
 * Whether `service` selects exactly this ProxyService's proxy pods: "the selector is ours", the one test
 * of it (a selector with one more or one less label is somebody else's). Pure.
 */
export function isSelectingProxies(proxyService: DefaultedProxyService, service: V1Service | undefined): boolean {
  return selectsExactly(service?.spec?.selector, proxySelector(proxyService));
}
