import { targetOf } from "../api/defaults.js";
import { DEFAULT_ROOT_NAMESPACE } from "../api/mesh.js";
import { Labels, observeRecord } from "../api/takeover.js";
import { KIND, type ProxyService } from "../api/types.js";
import { keyOf, type KubeObject, type ObjectKey } from "../kube/object.js";
import { isControlledByProxyService, proxyServiceControllerOf } from "../api/ownership.js";
import { concernsProxyService } from "./destination-rules.js";
import { SERVICE_NAME_LABEL } from "./endpoint-slices.js";
import type { StoreChange, StoreReader } from "../runtime/store.js";

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
  if (obj.kind === KIND) {
    keys.add(keyOf(obj));
    const serviceName = (obj as unknown as ProxyService).spec?.serviceName;
    for (const p of proxyServices.list(namespace)) if (p.spec.serviceName === serviceName) keys.add(keyOf(p));
    return [...keys];
  }
  if (obj.kind === "EndpointSlice") {
    const service = obj.metadata.labels?.[SERVICE_NAME_LABEL];
    for (const p of proxyServices.list(namespace)) if (targetOf(p.spec) === service) keys.add(keyOf(p));
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
  const controller = proxyServiceControllerOf(obj.metadata);
  if (controller !== undefined) keys.add(`${namespace}/${controller.name}`);
  if (obj.kind === "Service") {
    const name = obj.metadata.name;
    for (const p of proxyServices.list(namespace)) {
      if (p.spec.serviceName === name || targetOf(p.spec) === name) keys.add(keyOf(p));
    }
    // A malformed record names nobody: the ProxyServices naming the Service (above) reconcile and report it.
    const recorded = observeRecord(obj).record?.proxyService;
    if (recorded !== undefined) keys.add(`${namespace}/${recorded}`);
  }
  return [...keys];
}

/**
 * The ProxyServices to reconcile for one change of a cache: ownersOf its object, except for a ProxyService
 * whose update changed its status and nothing else. That is the operator's own status write coming back
 * (controller-runtime's GenerationChangedPredicate skips the same echo, we also keep labels, annotations,
 * finalizers and deletion): the reconcile that wrote it already acted on everything it reports, and what it
 * waits for comes back by its own events or its requeue. Each ProxyService writes its status several times
 * while its proxies come up (issue 17; one burst of 1,000 showed no difference beyond the spread of runs, as most
 * echoes arrive while the key is still queued).
 */
export function ownersOfChange(change: StoreChange<KubeObject>, proxyServices: StoreReader<ProxyService & KubeObject>): ObjectKey[] {
  if (change.type === "modified" && change.object.kind === KIND && isStatusOnly(change.old, change.object)) return [];
  return ownersOf(change.object, proxyServices);
}

/** The ProxyService cache is slim (no managedFields), so status and resourceVersion are all a status write changes. */
function isStatusOnly(old: KubeObject, next: KubeObject): boolean {
  const rest = ({ status: _status, metadata: { resourceVersion: _version, ...metadata }, ...o }: KubeObject & { status?: unknown }): string =>
    JSON.stringify({ ...o, metadata });
  return rest(old) === rest(next);
}
