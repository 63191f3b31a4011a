import type { V1PodDisruptionBudget } from "@kubernetes/client-node";
import type { DefaultedProxyService } from "../api/types.js";
import { ownedMetadata, proxySelector } from "./metadata.js";

/**
 * The proxies' PodDisruptionBudget, or undefined when at most one proxy can run. maxUnavailable 1
 * (not minAvailable) so that a single running proxy never blocks a node drain, while several
 * are evicted one at a time. Pure.
 */
export function renderPodDisruptionBudget(proxyService: DefaultedProxyService): V1PodDisruptionBudget | undefined {
  if (proxyService.spec.autoscaling.maxReplicas <= 1) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: ownedMetadata(proxyService, proxyService.metadata.name),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: proxySelector(proxyService) },
    },
  };
}
