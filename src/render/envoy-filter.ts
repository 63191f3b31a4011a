import { SpecError } from "../api/errors.js";
import { ALL_CHOICES, DEFAULT_CHOICES } from "../api/schema.js";
import type { DefaultedProxyService, LeastRequestChoices } from "../api/types.js";
import { protoDuration } from "./duration.js";
import { ENVOY_FILTER_API_VERSION, type EnvoyFilter, type EnvoyFilterClusterPatch } from "./istio-types.js";
import { serviceFqdn } from "../api/mesh.js";
import { ownedMetadata, proxySelector } from "./metadata.js";
import type { PortPlan } from "./ports.js";

/** The least-request extension of Envoy's load_balancing_policy (its name and its config's type). */
export const LEAST_REQUEST_POLICY = "envoy.load_balancing_policies.least_request";
export const LEAST_REQUEST_TYPE = "type.googleapis.com/envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest";

/**
 * The name istiod gives a proxy's outbound cluster for one port of a Service: `outbound|PORT||FQDN`
 * (no subset: the DestinationRule defines none).
 */
export function outboundClusterName(fqdn: string, port: number): string {
  return `outbound|${port}||${fqdn}`;
}

/**
 * spec.leastRequest.choices, which Istio's DestinationRule cannot express, as an EnvoyFilter on
 * the proxy pods only (their unique selector; context GATEWAY, so no caller's sidecar is touched),
 * patching the target's cluster for every port the proxies route to. Undefined at the default
 * (2: Istio's own cluster already does that), so the operator deletes it when choices goes back.
 *
 * - A number: MERGE `least_request_lb_config.choice_count`, next to the slow start that istiod
 *   writes there from the DestinationRule's warmupDurationSecs.
 * - "All": MERGE `load_balancing_policy` with the least-request extension and selection_method
 *   FULL_SCAN (Envoy 1.30 or later). Envoy then ignores lb_policy and least_request_lb_config, so
 *   the slow start of spec.warmupDuration is repeated inside the extension.
 *
 * Throws SpecError when choices is set with another loadBalancer (CEL rejects that on create; this
 * catches objects stored before the rule existed). Pure.
 */
export function renderEnvoyFilter(proxyService: DefaultedProxyService, ports: readonly PortPlan[]): EnvoyFilter | undefined {
  const { spec, metadata } = proxyService;
  const { choices } = spec.leastRequest;
  if (choices === DEFAULT_CHOICES) return undefined;
  if (spec.loadBalancer !== "LEAST_REQUEST") {
    throw new SpecError(
      "leastRequest.choices",
      `is ${JSON.stringify(choices)}, but spec.loadBalancer is ${spec.loadBalancer} and only LEAST_REQUEST compares candidates`,
      "remove spec.leastRequest or set spec.loadBalancer to LEAST_REQUEST",
    );
  }
  const fqdn = serviceFqdn(spec.target, metadata.namespace);
  const targetPorts = [...new Set(ports.map((p) => p.targetPort))].sort((a, b) => a - b);
  const value = clusterPatch(choices, spec.warmupDuration);
  return {
    apiVersion: ENVOY_FILTER_API_VERSION,
    kind: "EnvoyFilter",
    metadata: ownedMetadata(proxyService, metadata.name),
    spec: {
      workloadSelector: { labels: proxySelector(proxyService) },
      configPatches: targetPorts.map(
        (port): EnvoyFilterClusterPatch => ({
          applyTo: "CLUSTER",
          match: { context: "GATEWAY", cluster: { name: outboundClusterName(fqdn, port) } },
          patch: { operation: "MERGE", value: structuredClone(value) },
        }),
      ),
    },
  };
}

/** The part of Envoy's Cluster (proto JSON) that carries `choices`. */
function clusterPatch(choices: LeastRequestChoices, warmupDuration: string | undefined): Record<string, unknown> {
  if (choices !== ALL_CHOICES) return { least_request_lb_config: { choice_count: choices } };
  const leastRequest: Record<string, unknown> = {
    "@type": LEAST_REQUEST_TYPE,
    selection_method: "FULL_SCAN",
    ...(warmupDuration === undefined ? {} : { slow_start_config: { slow_start_window: protoDuration(warmupDuration) } }),
  };
  return { load_balancing_policy: { policies: [{ typed_extension_config: { name: LEAST_REQUEST_POLICY, typed_config: leastRequest } }] } };
}
