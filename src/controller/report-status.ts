import { ConditionTypes, Reasons, findCondition, setCondition } from "../api/conditions.js";
import type { ProxyService, ProxyServiceStatus } from "../api/types.js";
import { isDeepEqual } from "../kube/compare.js";
import type { KubeObject } from "../kube/object.js";
import type { ReconcileContext } from "./context.js";
import type { Plan } from "./plan.js";

/**
 * Writes the status the plan describes to the status subresource, only when it differs from what the
 * cache shows (a quiet reconcile writes nothing). When the Ready condition changes, publishes an event
 * with the same reason and message, Warning when it is False, so `kubectl describe ps` tells the story.
 */
export async function reportStatus(proxyService: ProxyService & KubeObject, plan: Plan, ctx: ReconcileContext): Promise<void> {
  const generation = proxyService.metadata.generation ?? 0;
  const old: ProxyServiceStatus = proxyService.status ?? {};
  const conditions = setCondition(
    old.conditions,
    { type: ConditionTypes.Ready, ...plan.ready, observedGeneration: generation },
    new Date(ctx.clock.now()),
  );
  const next: ProxyServiceStatus = { observedGeneration: generation, conditions, ...plan.status };
  if (isDeepEqual(old, next)) return;
  await ctx.client.applyStatus({
    apiVersion: proxyService.apiVersion,
    kind: proxyService.kind,
    metadata: { name: proxyService.metadata.name, namespace: proxyService.metadata.namespace },
    status: next,
  });
  const before = findCondition(old.conditions, ConditionTypes.Ready);
  if (before?.reason !== plan.ready.reason || before.status !== plan.ready.status) {
    ctx.log.info({ ready: plan.ready.status, reason: plan.ready.reason }, "ready condition changed");
    // Waiting for the first proxy is the normal path to Ready, not a problem: report it as Normal.
    const isProblem = plan.ready.status === "False" && plan.ready.reason !== Reasons.ProxyNotAvailable;
    await ctx.events.publish(proxyService, {
      type: isProblem ? "Warning" : "Normal",
      reason: plan.ready.reason,
      note: plan.ready.message,
      action: "Reconcile",
    });
  }
}
