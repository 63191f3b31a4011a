import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/api/defaults.js";
import type { ProxyService } from "../../src/api/types.js";

const published: ProxyService = {
  apiVersion: "msvcbench.io/v1alpha1",
  kind: "ProxyService",
  metadata: { name: "ps-s0" },
  spec: { serviceName: "sn0", loadBalancer: "LEAST_REQUEST", target: "sn0-ep", port: 80 },
};

describe("withDefaults", () => {
  it("fills every field of a minimal spec with the documented default", () => {
    const ps = withDefaults({ ...published, spec: { serviceName: "carts" } });
    expect(ps.metadata.namespace).toBe("default");
    expect(ps.spec).toEqual({
      serviceName: "carts",
      target: "carts-ep",
      loadBalancer: "LEAST_REQUEST",
      protocol: "HTTP",
      port: 80,
      ports: [],
      uri: {},
      autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 },
      resources: { requests: { cpu: "500m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } },
      localityLoadBalancing: false,
      callerTls: { mode: "DISABLE" },
      leastRequest: { choices: 2 },
      outlierDetection: { enabled: true, consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 10 },
    });
  });

  it("keeps what the user set, and fills the rest of a partly given object", () => {
    const ps = withDefaults({
      ...published,
      metadata: { name: "ps-s0", namespace: "shop" },
      spec: { ...published.spec, autoscaling: { maxReplicas: 9 }, resources: { requests: { cpu: 1 } }, warmupDuration: "30s" },
    });
    expect(ps.metadata.namespace).toBe("shop");
    expect(ps.spec.target).toBe("sn0-ep");
    expect(ps.spec.autoscaling).toEqual({ minReplicas: 2, maxReplicas: 9, targetCPUUtilizationPercentage: 80 });
    expect(ps.spec.resources.requests).toEqual({ cpu: 1, memory: "128Mi" });
    expect(ps.spec.warmupDuration).toBe("30s");
  });

  it("does not change its argument", () => {
    const input = structuredClone(published);
    withDefaults(input);
    expect(input).toEqual(published);
  });
});
