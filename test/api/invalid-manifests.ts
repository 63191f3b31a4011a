import type { ProxyService } from "../../src/api/types.js";

/**
 * Invalid ProxyServices, each with the field its rejection must name. Used twice: by the unit
 * test of `validateProxyService` (what `proxy-service render` rejects) and by the integration
 * test against the real API server (what the CRD's schema and CEL reject), so the two agree.
 */
export interface InvalidCase {
  readonly title: string;
  readonly field: string;
  readonly spec: Record<string, unknown>;
  readonly name?: string;
}

export const invalidCases: readonly InvalidCase[] = [
  { title: "serviceName missing", field: "spec.serviceName", spec: { port: 80 } },
  { title: "serviceName not a DNS label", field: "spec.serviceName", spec: { serviceName: "Sn0_bad" } },
  { title: "serviceName too long", field: "spec.serviceName", spec: { serviceName: "s".repeat(64) } },
  { title: "target not a DNS label", field: "spec.target", spec: { serviceName: "sn0", target: "sn0.ep" } },
  { title: "target equals serviceName", field: "spec.target", spec: { serviceName: "sn0", target: "sn0" } },
  { title: "port 0", field: "spec.port", spec: { serviceName: "sn0", port: 0 } },
  { title: "port 65536", field: "spec.port", spec: { serviceName: "sn0", port: 65536 } },
  { title: "port not a number", field: "spec.port", spec: { serviceName: "sn0", port: "http" } },
  { title: "unknown loadBalancer", field: "spec.loadBalancer", spec: { serviceName: "sn0", loadBalancer: "LEAST_CONN" } },
  { title: "unknown protocol", field: "spec.protocol", spec: { serviceName: "sn0", protocol: "UDP" } },
  { title: "rewriteUri without matchUriPrefix", field: "spec.uri.rewriteUri", spec: { serviceName: "sn0", uri: { rewriteUri: "/v2" } } },
  { title: "matchUriPrefix not starting with /", field: "spec.uri.matchUriPrefix", spec: { serviceName: "sn0", uri: { matchUriPrefix: "api" } } },
  { title: "minReplicas above maxReplicas", field: "spec.autoscaling.minReplicas", spec: { serviceName: "sn0", autoscaling: { minReplicas: 6, maxReplicas: 3 } } },
  { title: "minReplicas 0", field: "spec.autoscaling.minReplicas", spec: { serviceName: "sn0", autoscaling: { minReplicas: 0 } } },
  { title: "target CPU 0 %", field: "spec.autoscaling.targetCPUUtilizationPercentage", spec: { serviceName: "sn0", autoscaling: { targetCPUUtilizationPercentage: 0 } } },
  { title: "extra port listing spec.port", field: "spec.ports", spec: { serviceName: "sn0", port: 80, ports: [{ port: 80, protocol: "TCP" }] } },
  { title: "extra port with unknown protocol", field: "spec.ports[0].protocol", spec: { serviceName: "sn0", ports: [{ port: 9000, protocol: "UDP" }] } },
  { title: "extra port out of range", field: "spec.ports[0].port", spec: { serviceName: "sn0", ports: [{ port: 70000, protocol: "TCP" }] } },
  { title: "warm-up with RANDOM", field: "spec.warmupDuration", spec: { serviceName: "sn0", loadBalancer: "RANDOM", warmupDuration: "30s" } },
  { title: "warm-up not a duration", field: "spec.warmupDuration", spec: { serviceName: "sn0", warmupDuration: "thirty" } },
  { title: "unknown callerTls mode", field: "spec.callerTls.mode", spec: { serviceName: "sn0", callerTls: { mode: "MUTUAL" } } },
  { title: "CPU request not a quantity", field: "spec.resources.requests.cpu", spec: { serviceName: "sn0", resources: { requests: { cpu: "lots" } } } },
  // The pattern Kubernetes publishes for Quantity allows a fractional exponent; its parser (and ours) does not.
  { title: "CPU limit with a fractional exponent", field: "spec.resources.limits.cpu", spec: { serviceName: "sn0", resources: { limits: { cpu: "1e1.5" } } } },
  { title: "localityLoadBalancing not a boolean", field: "spec.localityLoadBalancing", spec: { serviceName: "sn0", localityLoadBalancing: "yes" } },
  { title: "leastRequest with ROUND_ROBIN", field: "spec.leastRequest", spec: { serviceName: "sn0", loadBalancer: "ROUND_ROBIN", leastRequest: { choices: 4 } } },
  { title: "leastRequest (even empty) with RANDOM", field: "spec.leastRequest", spec: { serviceName: "sn0", loadBalancer: "RANDOM", leastRequest: {} } },
  { title: "choices 1", field: "spec.leastRequest.choices", spec: { serviceName: "sn0", leastRequest: { choices: 1 } } },
  { title: "choices above 100", field: "spec.leastRequest.choices", spec: { serviceName: "sn0", leastRequest: { choices: 101 } } },
  { title: "choices a string other than All", field: "spec.leastRequest.choices", spec: { serviceName: "sn0", leastRequest: { choices: "all" } } },
  { title: "choices a number as a string", field: "spec.leastRequest.choices", spec: { serviceName: "sn0", leastRequest: { choices: "4" } } },
  { title: "outlier detection interval 0s", field: "spec.outlierDetection.interval", spec: { serviceName: "sn0", outlierDetection: { interval: "0s" } } },
  { title: "outlier detection ejection below 1ms", field: "spec.outlierDetection.baseEjectionTime", spec: { serviceName: "sn0", outlierDetection: { baseEjectionTime: "0.5ms" } } },
  { title: "outlier detection ejection not a duration", field: "spec.outlierDetection.baseEjectionTime", spec: { serviceName: "sn0", outlierDetection: { baseEjectionTime: "30" } } },
  { title: "outlier detection with 0 errors", field: "spec.outlierDetection.consecutive5xxErrors", spec: { serviceName: "sn0", outlierDetection: { consecutive5xxErrors: 0 } } },
  { title: "outlier detection ejecting 0 %", field: "spec.outlierDetection.maxEjectionPercent", spec: { serviceName: "sn0", outlierDetection: { maxEjectionPercent: 0 } } },
  { title: "name longer than a label value", field: "metadata.name", spec: { serviceName: "sn0" }, name: "p".repeat(64) },
];

/** The ProxyService of an invalid case. */
export function manifestOf(c: InvalidCase, namespace?: string): ProxyService {
  return {
    apiVersion: "msvcbench.io/v1alpha1",
    kind: "ProxyService",
    metadata: { name: c.name ?? "ps-bad", ...(namespace === undefined ? {} : { namespace }) },
    spec: c.spec as unknown as ProxyService["spec"],
  };
}
