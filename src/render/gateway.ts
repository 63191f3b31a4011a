import type { DefaultedProxyService } from "../api/types.js";
import type { Gateway, GatewayServer } from "./istio-types.js";
import { ISTIO_API_VERSION } from "./istio-types.js";
import { ownedMetadata, proxySelector } from "./metadata.js";
import type { PortPlan } from "./ports.js";

/**
 * The Gateway that configures the proxy pods: one server per port of spec.serviceName.
 * hosts "*": callers address the Service by any of its names (sn0, sn0.ns, the FQDN, the
 * cluster IP), and the server is bound to these pods only through the unique selector.
 * With callerTls ISTIO_MUTUAL, each server requires Istio mTLS (HTTPS for the HTTP family,
 * TLS for TCP, terminated by the proxy). Pure.
 */
export function renderGateway(proxyService: DefaultedProxyService, ports: readonly PortPlan[]): Gateway {
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: "Gateway",
    metadata: ownedMetadata(proxyService, proxyService.metadata.name),
    spec: {
      selector: proxySelector(proxyService),
      servers: ports.map((plan) => renderServer(proxyService, plan)),
    },
  };
}

function renderServer(proxyService: DefaultedProxyService, plan: PortPlan): GatewayServer {
  const number = plan.callerPort.port;
  const name = `${plan.protocol.toLowerCase()}-${number}`;
  if (proxyService.spec.callerTls.mode === "ISTIO_MUTUAL") {
    return {
      port: { number, name, protocol: plan.protocol === "TCP" ? "TLS" : "HTTPS" },
      hosts: ["*"],
      tls: { mode: "ISTIO_MUTUAL" },
    };
  }
  return { port: { number, name, protocol: plan.protocol }, hosts: ["*"] };
}
