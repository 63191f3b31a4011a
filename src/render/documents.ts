import type { KubernetesObject } from "@kubernetes/client-node";
import type { DesiredState } from "./desired.js";

/**
 * The objects of a DesiredState in the order a one-shot apply would use: the proxies and their
 * routing first, the target next, and the takeover of spec.serviceName last (it must come only
 * once the proxies can serve). `proxy-service render` prints this. Pure.
 */
export function objectsInApplyOrder(state: DesiredState): KubernetesObject[] {
  const objects: (KubernetesObject | undefined)[] = [
    state.serviceAccount,
    state.deployment,
    state.horizontalPodAutoscaler,
    state.podDisruptionBudget,
    state.destinationRule,
    state.envoyFilter,
    state.callerDestinationRule,
    state.gateway,
    state.virtualService,
    state.targetService,
    state.takenOverService,
  ];
  return objects.filter((o): o is KubernetesObject => o !== undefined);
}
