import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import type { DefaultedProxyService } from "../api/types.js";
import { ownedMetadata } from "./metadata.js";

/** The autoscaler of the proxy Deployment, on average CPU use relative to the CPU request. Pure. */
export function renderHorizontalPodAutoscaler(proxyService: DefaultedProxyService): V2HorizontalPodAutoscaler {
  const { autoscaling } = proxyService.spec;
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: ownedMetadata(proxyService, proxyService.metadata.name),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: proxyService.metadata.name },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage } },
        },
      ],
    },
  };
}
