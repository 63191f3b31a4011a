import type { V1Deployment } from "@kubernetes/client-node";
import { proxyConcurrency } from "../api/sizing.js";
import { canonicalQuantity } from "../api/quantity.js";
import type { DefaultedProxyService, Quantity } from "../api/types.js";
import { ownedLabels, ownedMetadata, proxySelector } from "./metadata.js";

// Envoy in Istio's proxy image runs as this user.
const ISTIO_PROXY_UID = 1337;

/**
 * The proxy Deployment: pods that run only an Istio proxy as a gateway. Istio's injector fills
 * the container in (template `gateway`, image `auto`). Pure.
 *
 * - `replicas` is left out: the HorizontalPodAutoscaler owns it, and a value here would fight it
 *   on every apply (the API server defaults it to 1 on create).
 * - The sysctl lets the non-root proxy bind the Service's own port numbers below 1024, so the
 *   taken-over Service's targetPort can equal its port (as Istio's gateway chart does; a safe
 *   sysctl since Kubernetes 1.22).
 * - maxUnavailable 0: a rollout never lowers the number of Ready proxies, so callers of the
 *   taken-over Service never see a gap.
 * - Envoy's worker threads (`proxy.istio.io/config` concurrency) match the CPU request, so one
 *   proxy uses the CPU it is sized for before the autoscaler adds another (src/api/sizing.ts).
 */
export function renderDeployment(proxyService: DefaultedProxyService): V1Deployment {
  const selector = proxySelector(proxyService);
  const { resources } = proxyService.spec;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: ownedMetadata(proxyService, proxyService.metadata.name),
    spec: {
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: {
            ...ownedLabels(proxyService),
            ...selector,
            "sidecar.istio.io/inject": "true",
            "service.istio.io/canonical-name": proxyService.metadata.name,
          },
          annotations: {
            "inject.istio.io/templates": "gateway",
            "proxy.istio.io/config": JSON.stringify({ concurrency: proxyConcurrency(resources.requests.cpu) }),
          },
        },
        spec: {
          serviceAccountName: proxyService.metadata.name,
          // No pod-level runAsUser: UID 1337 is reserved for the proxy container, and `istioctl analyze`
          // warns (IST0144) on a pod or Deployment that sets it pod-wide; istio-proxy sets it itself,
          // as in Istio's gateway chart.
          securityContext: {
            runAsNonRoot: true,
            fsGroup: ISTIO_PROXY_UID,
            seccompProfile: { type: "RuntimeDefault" },
            sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
          },
          // Spread the proxies over nodes, so one node going away leaves the others serving.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selector },
            },
          ],
          containers: [
            {
              name: "istio-proxy",
              image: "auto",
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                runAsUser: ISTIO_PROXY_UID,
                runAsGroup: ISTIO_PROXY_UID,
                capabilities: { drop: ["ALL"] },
              },
              resources: {
                requests: { cpu: quantity(resources.requests.cpu), memory: quantity(resources.requests.memory) },
                limits: { cpu: quantity(resources.limits.cpu), memory: quantity(resources.limits.memory) },
              },
            },
          ],
        },
      },
    },
  };
}

/** In the API server's canonical form, so the Deployment as applied equals the Deployment as stored (no drift). */
function quantity(value: Quantity): string {
  return canonicalQuantity(value);
}
