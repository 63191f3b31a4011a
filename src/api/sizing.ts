import { SpecError } from "./errors.js";
import { canonicalQuantity, parseQuantity, parseQuantityField, quantityValue } from "./quantity.js";
import type { DefaultedSpec, Quantity } from "./types.js";

// How the proxies are sized (issue 12, docs/api.md "Sizing"): a proxy must see as much of the
// load as it can, since every extra proxy gives part of the balancing gain back. So the defaults
// scale a proxy up (to its CPU request) before the autoscaler adds another one.

/**
 * Envoy's CPU per 1,000 req/s, as a fraction of one core: an estimate, not measured here. Istio's
 * published performance summary (Istio 1.12 to 1.16: 1 KB payloads, telemetry on) gives 0.35 vCPU
 * per 1,000 req/s through a sidecar, about 3x the 0.115 the loopback testbed measured for HAProxy
 * (docs/evidence.md, median of 46 runs).
 */
export const ENVOY_CORES_PER_1000_RPS_ESTIMATE = 0.35;

/** Istio's ProxyConfig.concurrency is an int32: more worker threads than this cannot be asked for. */
const MAX_CONCURRENCY = 2 ** 31 - 1;

/** A CPU quantity (`500m`, `1`, `1.5`, 2, `2e0`, even `1Ki`) in cores, in quantity.ts's grammar. Throws an Error naming a value that is not a quantity. Pure. */
export function cpuCores(quantity: Quantity): number {
  try {
    return quantityValue(parseQuantity(quantity));
  } catch (cause) {
    throw new Error(`not a CPU quantity: ${JSON.stringify(quantity)}`, { cause });
  }
}

/** The proxy container's resources as the Deployment carries them, and the Envoy worker threads they give. */
export interface ProxyResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
  readonly concurrency: number;
}

/**
 * spec.resources in the API server's canonical form (so the Deployment as applied equals the Deployment as stored),
 * with the worker threads of proxyConcurrency. Throws SpecError naming the field for what the CRD's pattern lets
 * through but the API server would refuse on the Deployment (a negative quantity, a request above its limit) or
 * Istio could not take (more worker threads than an int32), so the spec is reported instead of retried. Pure.
 */
export function proxyResources(resources: DefaultedSpec["resources"]): ProxyResources {
  const parsed = {
    requests: { cpu: field("requests", "cpu", resources.requests.cpu), memory: field("requests", "memory", resources.requests.memory) },
    limits: { cpu: field("limits", "cpu", resources.limits.cpu), memory: field("limits", "memory", resources.limits.memory) },
  };
  for (const name of ["cpu", "memory"] as const) {
    const request = parsed.requests[name];
    const limit = parsed.limits[name];
    if (request.nanos > limit.nanos) {
      throw new SpecError(
        `resources.requests.${name}`,
        `${String(resources.requests[name])} is above spec.resources.limits.${name} (${String(resources.limits[name])}), which the API server refuses for a container`,
        `lower the request or raise the limit`,
      );
    }
  }
  const concurrency = proxyConcurrency(resources.requests.cpu);
  if (concurrency > MAX_CONCURRENCY) {
    throw new SpecError("resources.requests.cpu", `${String(resources.requests.cpu)} asks for ${concurrency} Envoy worker threads, more than Istio's concurrency (an int32) holds`, "request fewer cores");
  }
  const canonical = (value: Quantity) => canonicalQuantity(value);
  return {
    requests: { cpu: canonical(resources.requests.cpu), memory: canonical(resources.requests.memory) },
    limits: { cpu: canonical(resources.limits.cpu), memory: canonical(resources.limits.memory) },
    concurrency,
  };
}

function field(list: "requests" | "limits", name: "cpu" | "memory", value: Quantity) {
  const parsed = parseQuantityField(`resources.${list}.${name}`, value);
  if (parsed.nanos < 0n) throw new SpecError(`resources.${list}.${name}`, `${String(value)} is negative`, "set a quantity of 0 or more");
  return parsed;
}

/**
 * Envoy worker threads for a proxy with this CPU request: one per requested core, rounded up, at
 * least one. More threads than the CPU the pod is sized for only contend with each other; fewer
 * could not use the request. (Balancing does not depend on it: Envoy counts each host's active
 * requests across all workers.) Pure.
 */
export function proxyConcurrency(cpuRequest: Quantity): number {
  return Math.max(1, Math.ceil(cpuCores(cpuRequest) - 1e-9));
}

/**
 * The request rate one proxy carries before the autoscaler adds another, in req/s: its CPU
 * request times the target utilisation, over Envoy's estimated CPU per request. An estimate (see
 * ENVOY_CORES_PER_1000_RPS_ESTIMATE). Pure.
 */
export function proxyScaleOutRps(cpuRequest: Quantity, targetCPUUtilizationPercentage: number): number {
  return (cpuCores(cpuRequest) * (targetCPUUtilizationPercentage / 100) * 1000) / ENVOY_CORES_PER_1000_RPS_ESTIMATE;
}
