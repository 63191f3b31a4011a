import { EventReasons } from "../api/conditions.js";
import { withDefaults } from "../api/defaults.js";
import type { EventInput } from "../kube/events.js";
import type { ObjectKey } from "../kube/object.js";
import type { ReconcileContext } from "./context.js";
import { advise } from "./advisories.js";
import { addFinalizer, hasFinalizer } from "./finalizer.js";
import { cleanup } from "./cleanup.js";
import { observe } from "./observe.js";
import { Outcome } from "../runtime/outcome.js";
import { planFor } from "./plan.js";
import { reportStatus } from "./report-status.js";
import { stage } from "../runtime/stage.js";

/**
 * Brings one ProxyService's objects to what its spec asks for. Level-based: it reads the current state from
 * the caches every time, so a missed or merged event does not matter. Idempotent: a second call with
 * nothing changed writes nothing. Throws on API failures (the worker retries with backoff).
 */
export async function reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<Outcome> {
  const { log } = ctx; // the reconcile's own logger: key and reconcileID on every line
  const proxyService = ctx.caches.proxyServices.get(key);
  if (!proxyService) {
    ctx.reverts.forget(key);
    ctx.conditionMetrics.forget(key);
    ctx.fallbacks.forget(key);
    return Outcome.done(); // owner references let the garbage collector remove the children
  }
  if (proxyService.metadata.deletionTimestamp) return cleanup(proxyService, ctx);
  // Our finalizer must be on before the takeover, so that a deletion always waits for the restore. The owned
  // objects need none (their ownerReferences let the garbage collector remove them), so it goes on meanwhile.
  const finalizer = hasFinalizer(proxyService)
    ? Promise.resolve()
    : stage("add finalizer", () => addFinalizer(ctx.client, proxyService));
  finalizer.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

  const observed = observe(proxyService, ctx.caches, { reverts: ctx.reverts, fallbacks: ctx.fallbacks, now: ctx.clock.now() });
  const defaulted = withDefaults(proxyService);
  const plan = planFor(defaulted, observed);
  // Events are best effort and off the critical path: published together once the writes are done.
  const events: EventInput[] = [];
  for (const wave of [0, 1] as const) {
    if (wave === 1) await finalizer;
    await Promise.all(
      plan.applies
        .filter((a) => a.wave === wave)
        .map(async ({ object, force, uid, event }) => {
          await stage(`apply ${object.kind} ${object.metadata.name}`, () => ctx.client.apply(object, { force, uid }));
          log.info({ kind: object.kind, object: object.metadata.name, force }, "applied object");
          events.push(event);
        }),
    );
  }
  await finalizer;
  // After the applies: an object no longer wanted (the old target, the callers' DestinationRule) goes only once
  // what replaces it is in place.
  for (const obj of plan.deletes) {
    await stage(`delete ${obj.kind} ${obj.metadata.name}`, () => ctx.client.delete(obj));
    log.info({ kind: obj.kind, object: obj.metadata.name }, "deleted object");
    events.push({ type: "Normal", reason: EventReasons.ObjectDeleted, action: "Delete", note: `deleted ${obj.kind} "${obj.metadata.name}", which the spec no longer asks for` });
  }
  if (plan.revertedBy !== undefined) {
    ctx.reverts.record(key, proxyService.metadata.generation ?? 0, observed.service?.metadata?.resourceVersion ?? "", ctx.clock.now());
    log.info({ fieldManager: plan.revertedBy }, "takeover reverted by another field manager");
  }
  if (plan.transition !== undefined) {
    if (plan.transition === "fellBack") ctx.fallbacks.record(key, ctx.clock.now());
    ctx.transitions.countTransition(plan.transition, proxyService.metadata.namespace ?? "", proxyService.metadata.name);
    log.info({ transition: plan.transition, ready: plan.ready.message }, plan.transition === "fellBack" ? "service fell back to the application" : "service taken over again");
  }
  // Sent before the status (so `kubectl describe` lists the actions before the condition they led to), awaited after.
  const published = Promise.all(summarize(events).map((e) => ctx.events.publish(proxyService, e)));
  const advisories = advise(defaulted, observed, ctx.predict);
  const publishedReasons = new Set(events.map((e) => e.reason));
  await stage("report status", () => reportStatus(proxyService, plan, advisories, ctx, publishedReasons));
  await published;
  return plan.next;
}

/**
 * One ObjectApplied event for all the owned objects a pass created or updated ("created ServiceAccount
 * "ps-s0"; created Deployment "ps-s0"; ..."), the others as they are: the story stays complete in
 * `kubectl describe`, at one request instead of eight when a ProxyService is created.
 */
function summarize(events: readonly EventInput[]): EventInput[] {
  const applied = events.filter((e) => e.reason === EventReasons.ObjectApplied);
  const others = events.filter((e) => e.reason !== EventReasons.ObjectApplied);
  const first = applied[0];
  return first === undefined ? others : [{ ...first, note: applied.map((e) => e.note).join("; ") }, ...others];
}
