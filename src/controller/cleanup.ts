import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { EventReasons, Reasons } from "../api/conditions.js";
import { Annotations, observeRecord, originalOf, proxyPodSelector, type TakeoverRecord } from "../api/takeover.js";
import type { ProxyService } from "../api/types.js";
import type { Writer } from "../kube/client.js";
import type { KubeObject } from "../kube/object.js";
import { Resources } from "../kube/resources.js";
import type { ReconcileContext } from "./context.js";
import { hasFinalizer, removeFinalizer } from "./finalizer.js";
import { ownedObjects } from "./observe.js";
import { Outcome } from "../runtime/outcome.js";
import type { Plan } from "./plan.js";
import { reportStatus } from "./report-status.js";
import { stage } from "../runtime/stage.js";

/**
 * The cleanup half of reconcile, for a ProxyService being deleted:
 * 1. restore spec.serviceName exactly from its takeover record, if this ProxyService took it over;
 * 2. delete every object this ProxyService controls (never a Service without our ownerReference: the
 *    user's Services are restored, not deleted);
 * 3. remove our finalizer, which lets the deletion finish.
 * Each step is idempotent, so a crash anywhere is healed by the next reconcile; the finalizer goes last so
 * that the ProxyService cannot disappear before the Service is restored. A record that cannot be read stops
 * the cleanup before step 1 (refuseRestore).
 */
export async function cleanup(proxyService: ProxyService & KubeObject, ctx: ReconcileContext): Promise<Outcome> {
  const { log } = ctx;
  if (!hasFinalizer(proxyService)) return Outcome.done();
  const namespace = proxyService.metadata.namespace ?? "";
  const { serviceName } = proxyService.spec;
  // A live read, not the cache: restoring from a cache that has not yet seen our takeover would skip the
  // restore and leave the Service pointing at proxies that are about to go away.
  const live = await stage("read Service", () => ctx.client.get<V1Service & KubeObject>(Resources.service, namespace, serviceName));
  const { record, recordError } = observeRecord(live);
  if (recordError !== undefined) return refuseRestore(proxyService, recordError, ctx);
  if (live && record?.proxyService === proxyService.metadata.name) {
    await stage("restore Service", () => restoreService(ctx.client, live, record));
    log.info({ kind: "Service", object: serviceName }, "service restored");
    await ctx.events.publish(proxyService, {
      type: "Normal",
      reason: EventReasons.ServiceRestored,
      action: "Restore",
      note: `Service "${serviceName}" got back its original selector and ports`,
    });
  }
  for (const obj of ownedObjects(proxyService, ctx.caches).values()) {
    await stage(`delete ${obj.kind} ${obj.metadata.name}`, () => ctx.client.delete(obj));
    log.info({ kind: obj.kind, object: obj.metadata.name }, "deleted object");
  }
  await stage("remove finalizer", () => removeFinalizer(ctx.client, proxyService));
  ctx.reverts.forget(`${namespace}/${proxyService.metadata.name}`);
  return Outcome.done();
}

/**
 * The takeover record on spec.serviceName cannot be read. Restoring from a guess could break the Service, and
 * deleting the proxies would leave it selecting pods that are gone, so the deletion waits: Ready says why (with a
 * Warning event), and the outcome is terminal, since no retry can fix the annotation; the Service's next change
 * (the user's fix) brings the ProxyService back here.
 */
async function refuseRestore(proxyService: ProxyService & KubeObject, recordError: string, ctx: ReconcileContext): Promise<Outcome> {
  const { serviceName } = proxyService.spec;
  const message =
    `Service "${serviceName}" cannot be restored, as its takeover record cannot be read (${recordError}); put its original selector ` +
    `and ports back by hand and remove the annotation ${Annotations.takeover} (docs/operator.md), and the deletion goes on`;
  const { conditions: _conditions, observedGeneration: _generation, ...status } = proxyService.status ?? {};
  const plan: Plan = {
    applies: [],
    deletes: [],
    ready: { status: "False", reason: Reasons.RestoreRefused, message },
    status,
    next: Outcome.terminal(Reasons.RestoreRefused, message),
  };
  await stage("report status", () => reportStatus(proxyService, plan, [], ctx));
  return plan.next;
}

/**
 * Puts the original selector and ports back in one apply and drops the record annotation (an apply that no
 * longer lists a field we own removes it): the record merged with what the Service's owner changed since
 * (originalOf), so an edit made just before the deletion is kept. force: the selector may meanwhile be owned
 * by another manager (a GitOps tool), and the restore must win. The ClusterIP was never touched. Returns what
 * was restored.
 */
export async function restoreService(
  client: Pick<Writer, "apply">,
  live: V1Service & KubeObject,
  record: TakeoverRecord,
): Promise<{ selector: Record<string, string>; ports: V1ServicePort[] }> {
  const namespace = live.metadata.namespace ?? "";
  const original = originalOf(record, live, proxyPodSelector(namespace, record.proxyService));
  await client.apply(
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: live.metadata.name, namespace },
      spec: { selector: original.selector, ports: original.ports },
    },
    // uid: the Service read just now, never one created anew if the user deletes it meanwhile.
    { force: true, uid: live.metadata.uid },
  );
  return original;
}
