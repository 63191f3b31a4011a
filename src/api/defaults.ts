import { Value } from "@sinclair/typebox/value";
import { DEFAULT_CHOICES, ProxyServiceSpecSchema } from "./schema.js";
import type { DefaultedProxyService, DefaultedSpec, ProxyService } from "./types.js";

/** The default of spec.target, which depends on spec.serviceName and so cannot live in the schema. */
export function defaultTarget(serviceName: string): string {
  return `${serviceName}-ep`;
}

/** spec.target, or its default: for a ProxyService not run through withDefaults (a cache's, on every event). Pure. */
export function targetOf(spec: { readonly serviceName: string; readonly target?: string }): string {
  return spec.target ?? defaultTarget(spec.serviceName);
}

/**
 * Fills every default of the spec: the schema's `default` keywords (the same ones the API
 * server applies, so an object read from the cluster already has them) plus the target.
 * Pure; does not change its argument. A missing namespace becomes "default", as kubectl would.
 */
export function withDefaults(proxyService: ProxyService): DefaultedProxyService {
  const spec = Value.Default(ProxyServiceSpecSchema, structuredClone(proxyService.spec)) as ProxyService["spec"];
  // Value.Default fills every optional field that has a `default`; the casts below only
  // restate that for the type checker, and the unit tests check each field.
  const defaulted: DefaultedSpec = {
    serviceName: spec.serviceName,
    target: targetOf(spec),
    loadBalancer: spec.loadBalancer!,
    protocol: spec.protocol!,
    port: spec.port!,
    ports: spec.ports ?? [],
    uri: spec.uri ?? {},
    autoscaling: spec.autoscaling as DefaultedSpec["autoscaling"],
    resources: spec.resources as DefaultedSpec["resources"],
    localityLoadBalancing: spec.localityLoadBalancing!,
    ...(spec.warmupDuration === undefined ? {} : { warmupDuration: spec.warmupDuration }),
    callerTls: spec.callerTls as DefaultedSpec["callerTls"],
    // No schema default for the object itself: the CEL rule rejects leastRequest with any other
    // loadBalancer, so the API server must not add it. Its absence means Istio's 2 candidates.
    leastRequest: { choices: spec.leastRequest?.choices ?? DEFAULT_CHOICES },
    outlierDetection: spec.outlierDetection as DefaultedSpec["outlierDetection"],
  };
  const metadata = {
    ...proxyService.metadata,
    name: proxyService.metadata.name ?? "",
    namespace: proxyService.metadata.namespace ?? "default",
  };
  return {
    apiVersion: proxyService.apiVersion,
    kind: proxyService.kind,
    metadata,
    spec: defaulted,
    ...(proxyService.status === undefined ? {} : { status: proxyService.status }),
  };
}
