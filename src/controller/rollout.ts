import { ConditionTypes, Reasons, type ConditionInput } from "../api/conditions.js";
import type { ProxyPodSummary } from "./proxy-pods.js";

/** The parts of the proxy Deployment the rollout rule reads. */
export interface DeploymentRollout {
  readonly metadata: { readonly name: string; readonly generation?: number };
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }[];
  };
}

/**
 * ProxiesRolledOut: whether the proxies run the current template, and when not, whether the rollout can
 * progress. Pure. Old proxies keep serving through a rollout (maxUnavailable 0), so a stuck one does not take
 * the Service down, but the spec change it carries never arrives: this condition is how the user learns it.
 * - RolloutStuck: the Deployment's progress deadline passed (Progressing=False), or a pod of the rollout
 *   cannot start (unschedulable, crash-looping: seen at once, not after the deadline);
 * - RollingOut: the Deployment controller has not caught up with the template yet, or old pods remain;
 * - RolledOut: every replica runs the current template (whether it is Ready is the Ready condition's matter).
 * Undefined before the Deployment exists.
 */
export function rolloutCondition(deployment: DeploymentRollout | undefined, pods: readonly ProxyPodSummary[], generation: number): ConditionInput | undefined {
  if (deployment === undefined) return undefined;
  const name = deployment.metadata.name;
  const status = deployment.status ?? {};
  const condition = (state: "True" | "False", reason: ConditionInput["reason"], message: string): ConditionInput => ({
    type: ConditionTypes.ProxiesRolledOut,
    status: state,
    reason,
    message,
    observedGeneration: generation,
  });
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.status === "False") {
    return condition("False", Reasons.RolloutStuck, `the rollout of Deployment "${name}" cannot progress (${progressing.reason ?? "Progressing=False"}: ${progressing.message ?? ""}); the old proxy pods keep serving`);
  }
  const desired = deployment.spec?.replicas ?? 1;
  const caughtUp = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  // Whether pods of an older template remain or are still to be replaced. Pods of the current template that do
  // not serve (a crash loop long after the rollout) are Ready's concern (FellBack), not the rollout's.
  const isRolling = !caughtUp || (status.updatedReplicas ?? 0) < desired || (status.replicas ?? 0) > (status.updatedReplicas ?? 0);
  if (!isRolling) return condition("True", Reasons.RolledOut, `every proxy pod of Deployment "${name}" runs the current spec`);
  const blocked = pods.find((p) => !p.serving && !p.draining && p.metadata.deletionTimestamp === undefined && isBlocked(p.notServingBecause));
  if (blocked !== undefined) {
    return condition("False", Reasons.RolloutStuck, `the rollout of Deployment "${name}" cannot progress: ${blocked.notServingBecause}; the old proxy pods keep serving`);
  }
  return condition("False", Reasons.RollingOut, `Deployment "${name}" is rolling out the current spec: ${status.updatedReplicas ?? 0} of ${desired} proxy pod(s) updated, ${status.availableReplicas ?? 0} available`);
}

/** A pod that will not start by itself: unschedulable or crash-looping (a slow image pull is not blocked). */
function isBlocked(why: string | undefined): boolean {
  return why !== undefined && (/is Pending: Unschedulable/.test(why) || /crash-looping/.test(why));
}
