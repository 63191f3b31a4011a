import { describe, expect, it } from "vitest";
import { OUTLIER_DEFAULTS } from "../../src/api/schema.js";
import { validateProxyService } from "../../src/api/validate.js";
import { renderDestinationRule } from "../../src/render/destination-rule.js";
import { proxyService } from "./fixtures.js";

// Issue 19: the proxies' DestinationRule carries outlier detection by default (a replica that fails
// fast draws more than its share from least-request), tunable and switchable through spec.outlierDetection.
describe("the proxies' outlier detection", () => {
  it("is on by default with the documented values, beside the load balancer settings", () => {
    const dr = renderDestinationRule(proxyService());
    expect(dr.spec.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 10 });
    expect(dr.spec.trafficPolicy.outlierDetection).toEqual(OUTLIER_DEFAULTS);
    expect(dr.spec.trafficPolicy.loadBalancer).toEqual({ simple: "LEAST_REQUEST", localityLbSetting: { enabled: false } });
  });

  it("takes each tuned field and keeps the defaults of the others", () => {
    const dr = renderDestinationRule(proxyService({ outlierDetection: { consecutive5xxErrors: 3, baseEjectionTime: "1m30s" } }));
    expect(dr.spec.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 3, interval: "10s", baseEjectionTime: "1m30s", maxEjectionPercent: 10 });
  });

  it("is left out entirely with enabled: false, whatever else is set", () => {
    const dr = renderDestinationRule(proxyService({ outlierDetection: { enabled: false, consecutive5xxErrors: 3 } }));
    expect(dr.spec.trafficPolicy).not.toHaveProperty("outlierDetection");
  });

  const manifest = (outlierDetection: unknown) => ({
    apiVersion: "msvcbench.io/v1alpha1",
    kind: "ProxyService",
    metadata: { name: "ps-s0" },
    spec: { serviceName: "sn0", outlierDetection },
  });

  it.each([
    [{ interval: "0s" }, "spec.outlierDetection.interval", "must be at least 1ms"],
    [{ baseEjectionTime: "0.0001s" }, "spec.outlierDetection.baseEjectionTime", "must be at least 1ms"],
    [{ baseEjectionTime: "30" }, "spec.outlierDetection.baseEjectionTime", "matching"],
    [{ consecutive5xxErrors: 0 }, "spec.outlierDetection.consecutive5xxErrors", "from 1 to 1000"],
    [{ maxEjectionPercent: 0 }, "spec.outlierDetection.maxEjectionPercent", "from 1 to 100"],
    [{ consecutiveErrors: 5 }, "spec.outlierDetection.consecutiveErrors", "not a field"],
  ])("refuses %j, naming %s", (outlierDetection, field, words) => {
    const r = validateProxyService(manifest(outlierDetection));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const problem = r.problems.find((p) => p.field === field);
    expect(problem, JSON.stringify(r.problems)).toBeDefined();
    expect(`${problem!.problem} ${problem!.fix}`).toContain(words);
  });

  it.each([[{ interval: "1ms", baseEjectionTime: "1h" }], [{ enabled: false }], [{}]])("accepts %j", (outlierDetection) => {
    expect(validateProxyService(manifest(outlierDetection)).ok).toBe(true);
  });
});
