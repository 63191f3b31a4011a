import type { DefaultedProxyService } from "../api/types.js";
import type { HttpRoute, RouteDestination, TcpRoute, VirtualService } from "./istio-types.js";
import { ISTIO_API_VERSION } from "./istio-types.js";
import { serviceFqdn } from "../api/mesh.js";
import { ownedMetadata } from "./metadata.js";
import type { PortPlan } from "./ports.js";

/**
 * The routes of the proxy pods' Gateway to the target Service: one HTTP route per port of the
 * HTTP family (spec.uri's match and rewrite on spec.port only) and one TCP route per TCP port.
 * exportTo "." keeps it to this namespace, where the proxies are. Pure.
 */
export function renderVirtualService(proxyService: DefaultedProxyService, ports: readonly PortPlan[]): VirtualService {
  const { metadata } = proxyService;
  const http = ports.filter((p) => p.protocol !== "TCP").map((p) => renderHttpRoute(proxyService, p));
  const tcp = ports.filter((p) => p.protocol === "TCP").map((p) => renderTcpRoute(proxyService, p));
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: "VirtualService",
    metadata: ownedMetadata(proxyService, metadata.name),
    spec: {
      hosts: ["*"],
      gateways: [`${metadata.namespace}/${metadata.name}`],
      exportTo: ["."],
      ...(http.length > 0 ? { http } : {}),
      ...(tcp.length > 0 ? { tcp } : {}),
    },
  };
}

function renderHttpRoute(proxyService: DefaultedProxyService, plan: PortPlan): HttpRoute {
  const { uri } = proxyService.spec;
  const prefix = plan.isMain ? uri.matchUriPrefix : undefined;
  const rewrite = plan.isMain ? uri.rewriteUri : undefined;
  return {
    name: `port-${plan.callerPort.port}`,
    match: [{ port: plan.callerPort.port, ...(prefix === undefined ? {} : { uri: { prefix } }) }],
    ...(rewrite === undefined ? {} : { rewrite: { uri: rewrite } }),
    route: [destination(proxyService, plan)],
  };
}

function renderTcpRoute(proxyService: DefaultedProxyService, plan: PortPlan): TcpRoute {
  return { match: [{ port: plan.callerPort.port }], route: [destination(proxyService, plan)] };
}

function destination(proxyService: DefaultedProxyService, plan: PortPlan): RouteDestination {
  return {
    destination: {
      host: serviceFqdn(proxyService.spec.target, proxyService.metadata.namespace),
      port: { number: plan.targetPort },
    },
  };
}
