import type { V1Service } from "@kubernetes/client-node";
import { withDefaults } from "../../src/api/defaults.js";
import type { DefaultedProxyService, ProxyServiceSpec } from "../../src/api/types.js";

export const UID = "7d3c1d0e-0000-4000-8000-00000000abcd";

/** The published ps-s0, defaulted, in namespace `shop`, with a uid as the API server gives it. */
export function proxyService(spec: Partial<ProxyServiceSpec> = {}, name = "ps-s0", namespace = "shop"): DefaultedProxyService {
  return withDefaults({
    apiVersion: "msvcbench.io/v1alpha1",
    kind: "ProxyService",
    metadata: { name, namespace, uid: UID },
    spec: { serviceName: "sn0", loadBalancer: "LEAST_REQUEST", target: "sn0-ep", port: 80, ...spec },
  });
}

/** A Service in namespace `shop`. */
export function service(name: string, spec: V1Service["spec"], annotations?: Record<string, string>): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop", ...(annotations === undefined ? {} : { annotations }) },
    spec,
  };
}

/** The sample application's sn0: selector app=s0, port 80 -> http. */
export const sn0 = service("sn0", { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: "http" }] });
