import type { Quantity } from "./types.js";

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

const SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A CPU quantity (`500m`, `1`, `1.5`, 2, `2e0`) in cores. Throws on a quantity the schema would reject. Pure. */
export function cpuCores(quantity: Quantity): number {
  if (typeof quantity === "number") return quantity;
  const match = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([numkMGTPE]?)|[eE]([+-]?[0-9]+))$/.exec(quantity);
  if (match === null) throw new Error(`not a CPU quantity: "${quantity}"`);
  const value = Number(match[1]);
  return match[3] === undefined ? value * (SUFFIX[match[2] ?? ""] ?? 1) : value * 10 ** Number(match[3]);
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
export function proxyScaleOutRps(cpuRequest: Quantity, targetCPUUtilizationPercentage: number, coresPer1000Rps = ENVOY_CORES_PER_1000_RPS_ESTIMATE): number {
  return (cpuCores(cpuRequest) * (targetCPUUtilizationPercentage / 100) * 1000) / coresPer1000Rps;
}
