import type { KubeClient } from "../kube/client.js";
import type { KubeObject } from "../kube/object.js";

/** Our finalizer on every ProxyService: deletion waits until the taken-over Service is restored. */
export const FINALIZER = "proxyservice.msvcbench.io/restore-service";

export function hasFinalizer(obj: KubeObject): boolean {
  return (obj.metadata.finalizers ?? []).includes(FINALIZER);
}

/**
 * Adds our finalizer with a server-side apply that lists only it. `metadata.finalizers` is a set for
 * server-side apply, so this never touches another controller's finalizer (the guarantee kube-rs gets
 * from a JSON-patch `test`). Idempotent.
 */
export async function addFinalizer(client: KubeClient, obj: KubeObject): Promise<void> {
  await client.apply({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, finalizers: [FINALIZER] } });
}

/**
 * Removes our finalizer: an apply that no longer lists it releases the only field we own on the object,
 * so the API server drops it (and deletes the object if ours was the last finalizer). Others' stay.
 */
export async function removeFinalizer(client: KubeClient, obj: KubeObject): Promise<void> {
  await client.apply({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace } });
}
