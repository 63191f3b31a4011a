import type { V1ServicePort } from "@kubernetes/client-node";
import { Reasons } from "../api/conditions.js";
import { SpecError } from "../api/errors.js";
import type { DefaultedProxyService, PortProtocol } from "../api/types.js";
import type { Application } from "./application.js";

/** How one port of spec.serviceName is carried by the proxies. */
export interface PortPlan {
  /** The port as spec.serviceName keeps it (name, number, protocol, appProtocol) for callers. */
  readonly callerPort: V1ServicePort;
  /** HTTP, HTTP2 and GRPC are balanced per request; TCP per connection. */
  readonly protocol: PortProtocol;
  /** The port of the target Service that traffic goes to. */
  readonly targetPort: number;
  /** Whether this is spec.port (where spec.uri applies). */
  readonly isMain: boolean;
}

// Envoy in the proxy pod listens on these itself (admin, inbound/outbound capture, status,
// Prometheus, DNS, HBONE), so a Gateway server cannot use them.
const ISTIO_RESERVED_PORTS = new Set([15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090]);

/**
 * Plans every port of spec.serviceName, in the Service's order. Throws SpecError when spec.port
 * or an entry of spec.ports is not a port of the Service (SpecInvalid), or when a port cannot be
 * carried so that callers keep working (TakeoverRefused). Pure.
 */
export function planPorts(proxyService: DefaultedProxyService, app: Application): PortPlan[] {
  const { spec } = proxyService;
  const numbers = app.callerPorts.map((p) => p.port);
  const listed = numbers.join(", ");
  if (!numbers.includes(spec.port)) {
    throw new SpecError(
      "port",
      `Service "${spec.serviceName}" has no port ${spec.port}`,
      `set spec.port to one of its ports: ${listed}`,
    );
  }
  for (const extra of spec.ports) {
    if (!numbers.includes(extra.port)) {
      throw new SpecError(
        "ports",
        `Service "${spec.serviceName}" has no port ${extra.port}`,
        `list only its ports (${listed}) in spec.ports`,
      );
    }
  }
  return app.callerPorts.map((callerPort) => {
    checkCarriable(proxyService, callerPort);
    const isMain = callerPort.port === spec.port;
    return {
      callerPort,
      protocol: isMain ? spec.protocol : (spec.ports.find((p) => p.port === callerPort.port)?.protocol ?? detectProtocol(callerPort)),
      targetPort: targetPortFor(proxyService, app, callerPort),
      isMain,
    };
  });
}

/**
 * The protocol of a port that the spec does not name, by Istio's own conventions: the
 * appProtocol, else the name's prefix (`http`, `http-web`, `grpc-api`, ...). Anything else is
 * carried as TCP, which keeps every protocol working (balanced per connection).
 */
export function detectProtocol(port: V1ServicePort): PortProtocol {
  const appProtocol = port.appProtocol?.toLowerCase();
  if (appProtocol !== undefined) {
    if (appProtocol === "http" || appProtocol === "grpc-web") return "HTTP";
    if (appProtocol === "http2" || appProtocol === "kubernetes.io/h2c") return "HTTP2";
    if (appProtocol === "grpc") return "GRPC";
    return "TCP";
  }
  const name = (port.name ?? "").toLowerCase();
  if (name === "grpc-web" || name.startsWith("grpc-web-")) return "HTTP";
  const prefix = name.split("-")[0];
  if (prefix === "http") return "HTTP";
  if (prefix === "http2") return "HTTP2";
  if (prefix === "grpc") return "GRPC";
  return "TCP";
}

function checkCarriable(proxyService: DefaultedProxyService, port: V1ServicePort): void {
  const name = proxyService.spec.serviceName;
  if ((port.protocol ?? "TCP") !== "TCP") {
    throw new SpecError(
      "serviceName",
      `port ${port.port}/${port.protocol} of Service "${name}" is not TCP, and Istio gateway proxies carry only TCP`,
      "front a Service without that port, or move the port to another Service",
      Reasons.TakeoverRefused,
    );
  }
  if (ISTIO_RESERVED_PORTS.has(port.port)) {
    throw new SpecError(
      "serviceName",
      `port ${port.port} of Service "${name}" is one that Istio's proxy uses itself`,
      `move the application off port ${port.port} (Istio reserves 15000-15090)`,
      Reasons.TakeoverRefused,
    );
  }
}

/**
 * The target Service's port for a caller port: the same number, else the same name. Only a
 * target the user made can lack it (the operator's copy has every port).
 */
function targetPortFor(proxyService: DefaultedProxyService, app: Application, callerPort: V1ServicePort): number {
  const match =
    app.ports.find((p) => p.port === callerPort.port) ??
    (callerPort.name === undefined ? undefined : app.ports.find((p) => p.name === callerPort.name));
  if (match === undefined) {
    throw new SpecError(
      "target",
      `target Service "${proxyService.spec.target}" has no port ${callerPort.port}${callerPort.name === undefined ? "" : ` or port named "${callerPort.name}"`}, which callers of "${proxyService.spec.serviceName}" use`,
      `add that port to "${proxyService.spec.target}" so that every port keeps working`,
      Reasons.TakeoverRefused,
    );
  }
  return match.port;
}
