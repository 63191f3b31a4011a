import { describe, expect, it } from "vitest";
import { renderDeployment } from "../../src/render/deployment.js";
import { proxyService } from "./fixtures.js";

// What the proxy Deployment took from istiod's own Gateway API deployments (issue 9, 5.2; the
// comparison against the real istiod is test/integration/istio/gateway-api-model.test.ts).

describe("renderDeployment", () => {
  const pod = renderDeployment(proxyService()).spec!.template.spec!;
  const proxy = pod.containers.find((c) => c.name === "istio-proxy")!;

  it("sets no user, group or fsGroup id, so Istio's injector can give the proxy the namespace's", () => {
    expect(pod.securityContext).not.toHaveProperty("runAsUser");
    expect(pod.securityContext).not.toHaveProperty("runAsGroup");
    expect(pod.securityContext).not.toHaveProperty("fsGroup");
    expect(proxy.securityContext).not.toHaveProperty("runAsUser");
    expect(proxy.securityContext).not.toHaveProperty("runAsGroup");
    expect(proxy.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it("probes pilot-agent's readiness every second until it first passes, for 30 s, as istiod's kube-gateway template does", () => {
    expect(proxy.startupProbe).toEqual({
      httpGet: { path: "/healthz/ready", port: 15021, scheme: "HTTP" },
      initialDelaySeconds: 1,
      periodSeconds: 1,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 30,
    });
  });

  it("leaves the readiness probe to the injector, which takes its timing from the mesh's values", () => {
    expect(proxy.readinessProbe).toBeUndefined();
    expect(proxy.livenessProbe).toBeUndefined();
  });
});
