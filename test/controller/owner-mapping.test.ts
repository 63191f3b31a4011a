import { describe, expect, it } from "vitest";
import { Store } from "../../src/runtime/store.js";
import { ownersOf } from "../../src/controller/owner-mapping.js";
import type { ProxyService } from "../../src/api/types.js";
import type { KubeObject } from "../../src/kube/object.js";
import { Annotations } from "../../src/api/takeover.js";
import { NS, proxyService, service } from "./fixtures.js";

function store(...items: (ProxyService & KubeObject)[]): Store<ProxyService & KubeObject> {
  const s = new Store<ProxyService & KubeObject>();
  for (const i of items) s.apply(i);
  return s;
}

describe("ownersOf", () => {
  const a = proxyService({}, "ps-a");
  const b = proxyService({}, "ps-b");
  const other = proxyService({ serviceName: "sn1", target: "sn1-ep" }, "ps-other");
  const proxyServices = store(a, b, other);

  it("maps an owned object to its controller", () => {
    const deployment: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "ps-a", namespace: NS, ownerReferences: [{ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: "ps-a", uid: "u", controller: true }] },
    };
    expect(ownersOf(deployment, proxyServices)).toEqual([`${NS}/ps-a`]);
  });

  it("maps a Service to every ProxyService naming it as serviceName or target", () => {
    expect(ownersOf(service("sn0", {}), proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`]);
    expect(ownersOf(service("sn1-ep", {}), proxyServices)).toEqual([`${NS}/ps-other`]);
    expect(ownersOf(service("unrelated", {}), proxyServices)).toEqual([]);
  });

  it("maps an EndpointSlice to every ProxyService whose target it belongs to (by the service-name label)", () => {
    const slice = (service: string): KubeObject => ({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: `${service}-x1`, namespace: NS, labels: { "kubernetes.io/service-name": service } } });
    expect(ownersOf(slice("sn0-ep"), proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`]);
    expect(ownersOf(slice("sn0"), proxyServices)).toEqual([]); // the taken-over Service's endpoints are the proxies: no news
    expect(ownersOf(slice("sn1-ep"), proxyServices)).toEqual([`${NS}/ps-other`]);
  });

  it("maps a user's DestinationRule to the ProxyServices whose Services its host can name, and ours to its controller only", () => {
    const rule = (host: string, owner?: string): KubeObject => ({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "r", namespace: NS, ...(owner ? { ownerReferences: [{ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: owner, uid: "u", controller: true }] } : {}) },
      spec: { host },
    });
    expect(ownersOf(rule("sn0-ep"), proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`]);
    expect(ownersOf(rule(`*.${NS}.svc.cluster.local`), proxyServices)).toHaveLength(3);
    expect(ownersOf(rule("sn0-ep", "ps-a"), proxyServices)).toEqual([`${NS}/ps-a`]);
  });

  it("maps an AuthorizationPolicy to every ProxyService of its namespace, and of every namespace from the root namespace", () => {
    const policy = (namespace: string): KubeObject => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "p", namespace } });
    expect(ownersOf(policy(NS), proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`, `${NS}/ps-other`]);
    expect(ownersOf(policy("elsewhere"), proxyServices)).toEqual([]);
    expect(ownersOf(policy("istio-system"), proxyServices)).toHaveLength(3);
  });

  it("maps a taken-over Service to the ProxyService its record names, even one that no longer names it", () => {
    const record = JSON.stringify({ version: 1, proxyService: "ps-gone", selector: { app: "x" }, ports: [{ port: 80 }] });
    expect(ownersOf(service("x", {}, { annotations: { [Annotations.takeover]: record } }), proxyServices)).toEqual([`${NS}/ps-gone`]);
  });

  it("maps a ProxyService to itself and its rivals for the same Service", () => {
    expect(ownersOf(a, proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`]);
  });

  it("ignores other namespaces", () => {
    expect(ownersOf({ ...service("sn0", {}), metadata: { name: "sn0", namespace: "elsewhere" } }, proxyServices)).toEqual([]);
  });
});
