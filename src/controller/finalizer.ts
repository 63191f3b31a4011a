import { FINALIZER } from "../api/names.js";
import type { JsonPatchOperation, Writer } from "../kube/client.js";
import { isNotFound } from "../kube/errors.js";
import type { KubeObject } from "../kube/object.js";

export function hasFinalizer(obj: KubeObject): boolean {
  return (obj.metadata.finalizers ?? []).includes(FINALIZER);
}

// Both helpers are JSON patches with `test` preconditions, as kube-rs's finalizer helper does, never applies:
// a server-side apply to an object that is gone creates it, so removing the finalizer of a ProxyService whose
// deletion had just finished tried to create an empty one (refused only because the CRD requires spec).

/**
 * Adds our finalizer to the object as `obj` shows it. Appending to an existing list never touches another
 * controller's finalizer; creating the list is guarded by the resourceVersion, so that a finalizer someone
 * added meanwhile is not overwritten (the patch then fails with 422 and the reconcile is retried). Never
 * creates the object: a ProxyService that is gone is a 404. Idempotent when the finalizer is there.
 */
export async function addFinalizer(client: Pick<Writer, "jsonPatch">, obj: KubeObject): Promise<void> {
  if (hasFinalizer(obj)) return;
  const operations: JsonPatchOperation[] =
    obj.metadata.finalizers === undefined
      ? [
          { op: "test", path: "/metadata/resourceVersion", value: obj.metadata.resourceVersion },
          { op: "add", path: "/metadata/finalizers", value: [FINALIZER] },
        ]
      : [{ op: "add", path: "/metadata/finalizers/-", value: FINALIZER }];
  await client.jsonPatch(obj, [{ op: "test", path: "/metadata/uid", value: obj.metadata.uid }, ...operations]);
}

/**
 * Removes our finalizer, which lets the deletion finish once it was the last one. The patch tests the uid
 * (never a same-named successor) and that our finalizer is still at the index `obj` shows (a stale cache
 * fails the patch with 422, and the retry reads again). An object that is already gone is done.
 */
export async function removeFinalizer(client: Pick<Writer, "jsonPatch">, obj: KubeObject): Promise<void> {
  const index = (obj.metadata.finalizers ?? []).indexOf(FINALIZER);
  if (index < 0) return;
  try {
    await client.jsonPatch(obj, [
      { op: "test", path: "/metadata/uid", value: obj.metadata.uid },
      { op: "test", path: `/metadata/finalizers/${index}`, value: FINALIZER },
      { op: "remove", path: `/metadata/finalizers/${index}` },
    ]);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
