import type { V1Deployment } from "@kubernetes/client-node";
import { proxyResources } from "../api/sizing.js";
import type { DefaultedProxyService } from "../api/types.js";
import { ownedLabels, ownedMetadata, proxySelector } from "./metadata.js";

// pilot-agent's status port: /healthz/ready answers once Envoy has its first configuration from istiod.
const ISTIO_STATUS_PORT = 15021;

/**
 * How long a terminating proxy keeps serving (pilot-agent drains Envoy's listeners for this long after SIGTERM,
 * then exits). When the last serving proxy starts terminating, the operator points the Service back at the
 * application's pods (controller/availability.ts), the EndpointSlices and istiod carry that to the callers,
 * and only then may the proxy stop: ten seconds is about ten times that switch as measured on the local
 * cluster (docs/operator.md, "Availability"), and twice Istio's default of 5 s.
 */
export const PROXY_DRAIN_SECONDS = 10;
/** The kubelet's limit for that drain: the drain plus room for Envoy to exit, Kubernetes' default of 30 s. */
export const PROXY_TERMINATION_GRACE_SECONDS = 30;

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
 * - No user or group id anywhere: Istio's injector sets the proxy's (1337, or the namespace's
 *   range on OpenShift), as it does for Istio's gateway chart and istiod's Gateway API deployments;
 *   a fixed 1337 here would override it and be refused where the namespace allows other ids.
 * - A terminating proxy drains for PROXY_DRAIN_SECONDS within PROXY_TERMINATION_GRACE_SECONDS, so a
 *   deletion, eviction or drain of the last proxy never stops it before the Service fell back (make before break).
 * - The startup probe is the one istiod gives the gateways it deploys for a Gateway API Gateway
 *   (kube-gateway template): polled every second, and the kubelet runs the readiness probe as soon
 *   as it passes, so a new proxy is Ready about a second after Envoy is, not at the next 15 s
 *   readiness period. The takeover, scale-outs and rollouts (maxUnavailable 0) all wait for it.
 *   docs/operator.md, "Our Deployment vs Istio's Gateway API deployment", has the comparison.
 */
export function renderDeployment(proxyService: DefaultedProxyService): V1Deployment {
  const selector = proxySelector(proxyService);
  const resources = proxyResources(proxyService.spec.resources);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: ownedMetadata(proxyService, proxyService.metadata.name),
    spec: {
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      // A proxy is Ready seconds after it starts; five minutes covers a slow image pull on a new node. After
      // that the Deployment reports Progressing=False, which ProxiesRolledOut turns into RolloutStuck.
      progressDeadlineSeconds: 300,
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
            "proxy.istio.io/config": JSON.stringify({
              concurrency: resources.concurrency,
              terminationDrainDuration: `${PROXY_DRAIN_SECONDS}s`,
            }),
          },
        },
        spec: {
          serviceAccountName: proxyService.metadata.name,
          terminationGracePeriodSeconds: PROXY_TERMINATION_GRACE_SECONDS,
          // No runAsUser or fsGroup (see above; `istioctl analyze` also warns, IST0144, on a pod-wide UID 1337).
          securityContext: {
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
            sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
          },
          // Spread the proxies over nodes, so one node going away leaves the others serving. Required, not
          // preferred: under ScheduleAnyway the scheduler's other scores could put the replacement of a proxy
          // lost with its node next to the surviving one, and the next failure of that node took the whole
          // Service (issue 16's chaos saw it). Nodes tainted NoSchedule (cordoned, NotReady, unreachable) are
          // no domains (Honor), so a drain or a dead node never leaves a replacement Pending, and a one-node
          // cluster is one domain where both fit. Re-spreading after a node returns is the descheduler's job,
          // which acts on required spreads only (docs/api.md).
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "DoNotSchedule",
              nodeTaintsPolicy: "Honor",
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
                capabilities: { drop: ["ALL"] },
              },
              startupProbe: {
                httpGet: { path: "/healthz/ready", port: ISTIO_STATUS_PORT, scheme: "HTTP" },
                initialDelaySeconds: 1,
                periodSeconds: 1,
                timeoutSeconds: 1,
                successThreshold: 1,
                failureThreshold: 30,
              },
              resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
            },
          ],
        },
      },
    },
  };
}
