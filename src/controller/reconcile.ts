import type { Logger } from "pino";
import { withDefaults } from "../api/defaults.js";
import type { ObjectKey } from "../kube/object.js";
import type { ReconcileContext } from "./context.js";
import { addFinalizer, hasFinalizer } from "./finalizer.js";
import { finalize } from "./finalize.js";
import { observe } from "./observe.js";
import { Outcome } from "./outcome.js";
import { planFor } from "./plan.js";
import { reportStatus } from "./report-status.js";

/**
 * Brings one ProxyService's objects to what its spec asks for. Level-based: it reads the current state from
 * the caches every time, so a missed or merged event does not matter. Idempotent: a second call with
 * nothing changed writes nothing. Throws on API failures (the worker retries with backoff).
 */
export async function reconcile(key: ObjectKey, ctx: ReconcileContext, log: Logger): Promise<Outcome> {
  const proxyService = ctx.caches.proxyServices.get(key);
  if (!proxyService) {
    ctx.reverts.forget(key);
    return Outcome.done(); // owner references let the garbage collector remove the children
  }
  if (proxyService.metadata.deletionTimestamp) return finalize(proxyService, ctx, log);
  // The finalizer goes on before anything is changed, so a deletion always waits for the restore.
  if (!hasFinalizer(proxyService)) await stage("add finalizer", () => addFinalizer(ctx.client, proxyService));

  const observed = observe(proxyService, ctx.caches, ctx.reverts.count(key, ctx.clock.now()));
  const plan = planFor(withDefaults(proxyService), observed);
  for (const obj of plan.deletes) {
    await stage(`delete ${obj.kind}`, () => ctx.client.delete(obj));
    log.info({ kind: obj.kind, object: obj.metadata.name }, "deleted object");
  }
  for (const { object, force, event } of plan.applies) {
    await stage(`apply ${object.kind} ${object.metadata.name}`, () => ctx.client.apply(object, { force }));
    log.info({ kind: object.kind, object: object.metadata.name, force }, "applied object");
    await ctx.events.publish(proxyService, event);
  }
  if (plan.revertedBy !== undefined) {
    ctx.reverts.record(key, observed.service?.metadata?.resourceVersion ?? "", ctx.clock.now());
    log.info({ fieldManager: plan.revertedBy }, "takeover reverted by another field manager");
  }
  await stage("report status", () => reportStatus(proxyService, plan, ctx));
  return plan.next.kind === "waiting" ? Outcome.waiting(plan.next.reason) : Outcome.done();
}

/** Runs one step, re-throwing its failure with the step's name and the original as `cause`. */
export async function stage<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
