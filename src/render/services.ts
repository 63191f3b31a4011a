import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { Annotations, encodeTakeoverRecord } from "../api/takeover.js";
import type { DefaultedProxyService } from "../api/types.js";
import type { Application } from "./application.js";
import { ownedMetadata, proxySelector } from "./metadata.js";
import type { PortPlan } from "./ports.js";

/**
 * The target Service the operator creates (the "rename" of the published design): a copy of
 * the application's selector and ports, ClusterIP. Undefined when the user made the target:
 * it is used as it is, never changed. Owned: it goes with the ProxyService. Pure.
 */
export function renderTargetService(proxyService: DefaultedProxyService, app: Application): V1Service | undefined {
  if (app.isUserTarget) return undefined;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMetadata(proxyService, proxyService.spec.target),
    spec: {
      type: "ClusterIP",
      selector: { ...app.selector },
      // nodePort is the caller-facing Service's; a copy must not claim it.
      ports: app.ports.map(({ nodePort: _nodePort, ...port }) => port),
    },
  };
}

/**
 * spec.serviceName as it must look after the takeover: same name, selecting the proxy pods,
 * every port kept with targetPort = port (the proxies listen on the Service's port numbers).
 *
 * - Modified (the user's Service): only the fields the operator takes over (selector, ports, the
 *   record annotation), for a server-side apply. No ownerReference and no labels: the user's
 *   Service must never be garbage-collected with the ProxyService or look like ours; deleting
 *   the ProxyService restores it from the record instead. The ClusterIP, type and nodePorts
 *   stay as they are (not listed, so not taken).
 * - Created (it did not exist): a full ClusterIP Service, owned like every object we made.
 * Pure.
 */
export function renderTakenOverService(
  proxyService: DefaultedProxyService,
  app: Application,
  ports: readonly PortPlan[],
): V1Service {
  const selector = proxySelector(proxyService);
  const servicePorts = ports.map((plan) => proxyPort(plan.callerPort));
  const { serviceName } = proxyService.spec;
  if (app.takeover.mode === "Modified") {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: serviceName,
        namespace: proxyService.metadata.namespace,
        annotations: { [Annotations.takeover]: encodeTakeoverRecord(app.takeover.record) },
      },
      spec: { selector, ports: servicePorts },
    };
  }
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMetadata(proxyService, serviceName),
    spec: { type: "ClusterIP", selector, ports: servicePorts },
  };
}

function proxyPort(port: V1ServicePort): V1ServicePort {
  return {
    ...(port.name === undefined ? {} : { name: port.name }),
    port: port.port,
    protocol: port.protocol ?? "TCP",
    ...(port.appProtocol === undefined ? {} : { appProtocol: port.appProtocol }),
    targetPort: port.port,
  };
}
