import { ConditionTypes, findCondition, setCondition, type ConditionInput } from "../api/conditions.js";
import type { Condition, ProxyService, ProxyServiceStatus } from "../api/types.js";
import { isDeepEqual } from "../kube/compare.js";
import { keyOf, type KubeObject } from "../kube/object.js";
import { ADVISORY_TYPES, isProblem } from "./advisories.js";
import type { ReconcileContext } from "./context.js";
import type { Plan } from "./plan.js";

/**
 * Writes the status the plan describes, with the advisory conditions beside Ready, to the status
 * subresource, only when it differs from what the cache shows (a quiet reconcile writes nothing). Events
 * tell the story in `kubectl describe ps`: every change of Ready, Warning when it is a problem; an
 * advisory when it becomes a problem (Warning) or stops being one (Normal). The status_condition gauge
 * shows the conditions once they are stored, written now or already there (a new leader writes nothing).
 */
export async function reportStatus(
  proxyService: ProxyService & KubeObject,
  plan: Plan,
  advisories: readonly ConditionInput[],
  ctx: ReconcileContext,
  /** Reasons of the events this pass already published for its actions (a fallback's Warning): not told twice. */
  publishedReasons: ReadonlySet<string> = new Set(),
): Promise<void> {
  const generation = proxyService.metadata.generation ?? 0;
  const old: ProxyServiceStatus = proxyService.status ?? {};
  const now = new Date(ctx.clock.now());
  const ready: ConditionInput = { type: ConditionTypes.Ready, ...plan.ready, observedGeneration: generation };
  // An advisory that advise no longer returns has no cause left: it goes.
  const kept = (old.conditions ?? []).filter((c) => !ADVISORY_TYPES.includes(c.type) || advisories.some((a) => a.type === c.type));
  const conditions = [ready, ...advisories].reduce<Condition[]>((all, c) => setCondition(all, c, now), kept);
  const next: ProxyServiceStatus = { observedGeneration: generation, conditions, ...plan.status };
  const key = keyOf(proxyService);
  if (isDeepEqual(old, next)) {
    ctx.conditionMetrics.report(key, conditions);
    return;
  }
  await ctx.client.applyStatus({
    apiVersion: proxyService.apiVersion,
    kind: proxyService.kind,
    metadata: { name: proxyService.metadata.name, namespace: proxyService.metadata.namespace },
    status: next,
  });
  ctx.conditionMetrics.report(key, conditions);
  const before = findCondition(old.conditions, ConditionTypes.Ready);
  if ((before?.reason !== ready.reason || before.status !== ready.status) && !publishedReasons.has(ready.reason)) {
    ctx.log.info({ ready: ready.status, reason: ready.reason }, "ready condition changed");
    await ctx.events.publish(proxyService, { type: isProblem(ready) ? "Warning" : "Normal", reason: ready.reason, note: ready.message, action: "Reconcile" });
  }
  for (const advisory of advisories) {
    const was = findCondition(old.conditions, advisory.type);
    const wasProblem = was !== undefined && isProblem(was);
    if (wasProblem === isProblem(advisory)) continue;
    ctx.log.info({ condition: advisory.type, status: advisory.status, reason: advisory.reason }, "advisory condition changed");
    await ctx.events.publish(proxyService, { type: wasProblem ? "Normal" : "Warning", reason: advisory.reason, note: advisory.message, action: "Reconcile" });
  }
}
