import type { DefaultedProxyService } from "../api/types.js";
import type { DestinationRule, LoadBalancerSettings, OutlierDetectionSettings } from "./istio-types.js";
import { ISTIO_API_VERSION } from "./istio-types.js";
import { serviceFqdn } from "../api/mesh.js";
import { ownedMetadata } from "./metadata.js";

/**
 * How the proxies balance over the target's pods: spec.loadBalancer, locality balancing
 * switched explicitly (istio/istio#47804: with it on, least-request balances only inside each
 * zone), the optional warm-up, and outlier detection unless turned off (a pod that fails fast
 * has few requests in flight, so least-request, and most of all a full scan, sends it more
 * than its share; docs/api.md). exportTo "." keeps it to this
 * namespace: the proxies get it, and so does any other sidecar of this namespace that calls the
 * target directly, while clients in other namespaces keep their own policy. Whether istiod gives
 * the proxies this rule or a user's is judged in src/api/destination-rule-conflicts.ts. Pure.
 */
export function renderDestinationRule(proxyService: DefaultedProxyService): DestinationRule {
  const { spec, metadata } = proxyService;
  const loadBalancer: LoadBalancerSettings = {
    simple: spec.loadBalancer,
    localityLbSetting: { enabled: spec.localityLoadBalancing },
    ...(spec.warmupDuration === undefined ? {} : { warmupDurationSecs: spec.warmupDuration }),
  };
  const od = spec.outlierDetection;
  const outlierDetection: OutlierDetectionSettings | undefined = od.enabled
    ? { consecutive5xxErrors: od.consecutive5xxErrors, interval: od.interval, baseEjectionTime: od.baseEjectionTime, maxEjectionPercent: od.maxEjectionPercent }
    : undefined;
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: "DestinationRule",
    metadata: ownedMetadata(proxyService, metadata.name),
    spec: {
      host: serviceFqdn(spec.target, metadata.namespace),
      exportTo: ["."],
      trafficPolicy: { loadBalancer, ...(outlierDetection === undefined ? {} : { outlierDetection }) },
    },
  };
}

/**
 * The name of the callers' DestinationRule, beside the proxies' one (named after the ProxyService). When callerTls
 * goes back to DISABLE it goes like any owned object the spec no longer asks for (unwanted in plan.ts), not by name.
 */
function callerDestinationRuleName(proxyServiceName: string): string {
  return `${proxyServiceName}-callers`;
}

/**
 * With callerTls ISTIO_MUTUAL, what callers' sidecars need to originate Istio mTLS to the
 * proxies: gateway-template pods carry no sidecar tlsMode label, so auto-mTLS would send plain
 * text. Exported to every namespace, since callers can be anywhere. Undefined otherwise. Pure.
 */
export function renderCallerDestinationRule(proxyService: DefaultedProxyService): DestinationRule | undefined {
  const { spec, metadata } = proxyService;
  if (spec.callerTls.mode !== "ISTIO_MUTUAL") return undefined;
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: "DestinationRule",
    metadata: ownedMetadata(proxyService, callerDestinationRuleName(metadata.name)),
    spec: {
      host: serviceFqdn(spec.serviceName, metadata.namespace),
      trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
    },
  };
}
