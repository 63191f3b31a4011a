import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { Annotations, encodeTakeoverRecord, normalizePort, originalOf, type TakeoverRecord } from "../api/takeover.js";
import type { DefaultedProxyService } from "../api/types.js";
import type { Application } from "./application.js";
import { ownedMetadata, proxySelector } from "./metadata.js";
import type { PortPlan } from "./ports.js";
import { withRenderHash } from "./render-hash.js";

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
    return userServiceFields(proxyService, { [Annotations.takeover]: encodeTakeoverRecord(app.takeover.record) }, { selector, ports: servicePorts });
  }
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMetadata(proxyService, serviceName),
    spec: { type: "ClusterIP", selector, ports: servicePorts },
  };
}

/**
 * spec.serviceName while no proxy serves: what it selected before the takeover (the application's pods and
 * the original ports), with the fell-back annotation, so that the ProxyService, its proxies and the restore
 * stay as they are and the Service can be taken over again. The same fields as renderTakenOverService, so one
 * apply switches between the two. It needs only the Service, its record and the target, not a valid spec: a
 * Service must fall back even while the spec is refused.
 * - Modified (a record names this ProxyService): the record merged with the live Service (originalOf, the
 *   rule of the restore), the record kept on it.
 * - Created (ours, no record): the target's selector and ports; undefined when the target is gone (the
 *   application's pods are then unknown).
 * Pure.
 */
export function renderFallbackService(
  proxyService: DefaultedProxyService,
  live: V1Service,
  record: TakeoverRecord | undefined,
  target: V1Service | undefined,
): V1Service | undefined {
  const { serviceName } = proxyService.spec;
  if (record !== undefined) {
    const original = originalOf(record, live, proxySelector(proxyService));
    const annotations = {
      [Annotations.takeover]: encodeTakeoverRecord({ ...record, selector: original.selector, ports: original.ports }),
      [Annotations.fellBack]: "true",
    };
    return userServiceFields(proxyService, annotations, { selector: original.selector, ports: original.ports });
  }
  if (target?.spec?.selector === undefined) return undefined;
  const metadata = ownedMetadata(proxyService, serviceName);
  return withRenderHash({
    apiVersion: "v1",
    kind: "Service",
    metadata: { ...metadata, annotations: { [Annotations.fellBack]: "true" } },
    spec: {
      type: "ClusterIP",
      selector: { ...target.spec.selector },
      ports: (target.spec.ports ?? []).map(({ nodePort: _nodePort, ...port }) => normalizePort(port)),
    },
  });
}

/**
 * The fields of the user's Service that the operator owns (selector, ports, its annotations), for a
 * server-side apply: nothing else is listed, so nothing else is taken. Pure.
 */
function userServiceFields(proxyService: DefaultedProxyService, annotations: Record<string, string>, spec: { selector: Record<string, string>; ports: V1ServicePort[] }): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: proxyService.spec.serviceName, namespace: proxyService.metadata.namespace, annotations },
    spec,
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
