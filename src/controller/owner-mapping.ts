import { defaultTarget } from "../api/defaults.js";
import { DEFAULT_ROOT_NAMESPACE } from "../api/mesh.js";
import { Labels, readTakeoverRecord } from "../api/takeover.js";
import type { ProxyService } from "../api/types.js";
import { keyOf, type KubeObject, type ObjectKey } from "../kube/object.js";
import { concernsProxyService, isControlledByProxyService } from "./destination-rules.js";
import { SERVICE_NAME_LABEL } from "./endpoint-slices.js";
import type { StoreReader } from "./store.js";

/**
 * The ProxyServices to reconcile when `obj` changes, so that every watched kind leads back to its owners
 * (kube-rs's trigger_owners, generalised). Pure: reads only the given cache.
 * - a ProxyService: itself, and the others naming the same Service (the claim may pass to them);
 * - an owned object: its controller, through the ownerReference;
 * - a Service: every ProxyService naming it as serviceName or target, and the one its takeover record
 *   names: the user's Services carry no ownerReference, and a missing Service appearing must end a wait;
 * - an EndpointSlice: every ProxyService whose target it belongs to (its ready pods feed GlobalView);
 * - a user's DestinationRule (one no ProxyService controls): every ProxyService whose serviceName or
 *   target its host can name (DestinationRules judges it);
 * - an AuthorizationPolicy: every ProxyService of its namespace, or of all of them for the mesh's root
 *   namespace (its selector may pick any target's pods; CallerIdentity judges it);
 * - a proxy pod: the ProxyService its instance label names (its owner is a ReplicaSet, not the ProxyService).
 */
export function ownersOf(obj: KubeObject, proxyServices: StoreReader<ProxyService & KubeObject>): ObjectKey[] {
  const namespace = obj.metadata.namespace ?? "";
  const keys = new Set<ObjectKey>();
  if (obj.kind === "ProxyService") {
    keys.add(keyOf(obj));
    const serviceName = (obj as unknown as ProxyService).spec?.serviceName;
    for (const p of proxyServices.list(namespace)) if (p.spec.serviceName === serviceName) keys.add(keyOf(p));
    return [...keys];
  }
  if (obj.kind === "EndpointSlice") {
    const service = obj.metadata.labels?.[SERVICE_NAME_LABEL];
    for (const p of proxyServices.list(namespace)) if ((p.spec.target ?? defaultTarget(p.spec.serviceName)) === service) keys.add(keyOf(p));
    return [...keys];
  }
  if (obj.kind === "DestinationRule" && !isControlledByProxyService(obj)) {
    return proxyServices.list().filter((p) => concernsProxyService(obj, p)).map((p) => keyOf(p));
  }
  if (obj.kind === "Pod") {
    const instance = obj.metadata.labels?.[Labels.instance];
    return instance === undefined ? [] : [`${namespace}/${instance}`];
  }
  if (obj.kind === "AuthorizationPolicy") {
    const scope = namespace === DEFAULT_ROOT_NAMESPACE ? proxyServices.list() : proxyServices.list(namespace);
    return scope.map((p) => keyOf(p));
  }
  for (const ref of obj.metadata.ownerReferences ?? []) {
    if (ref.kind === "ProxyService" && ref.controller) keys.add(`${namespace}/${ref.name}`);
  }
  if (obj.kind === "Service") {
    const name = obj.metadata.name;
    for (const p of proxyServices.list(namespace)) {
      if (p.spec.serviceName === name || (p.spec.target ?? defaultTarget(p.spec.serviceName)) === name) keys.add(keyOf(p));
    }
    const recorded = safeRecordOwner(obj);
    if (recorded !== undefined) keys.add(`${namespace}/${recorded}`);
  }
  return [...keys];
}

function safeRecordOwner(obj: KubeObject): string | undefined {
  try {
    return readTakeoverRecord(obj)?.proxyService;
  } catch {
    return undefined; // malformed: the owner's reconcile reports it
  }
}
