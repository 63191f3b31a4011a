import { describe, expect, it } from "vitest";
import { Store } from "../../src/runtime/store.js";
import { ownersOf, ownersOfChange } from "../../src/controller/owner-mapping.js";
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

describe("ownersOfChange", () => {
  const a = { ...proxyService({}, "ps-a"), status: { observedGeneration: 1 } };
  const b = proxyService({}, "ps-b");
  const proxyServices = store(a, b);
  const version = (o: ProxyService & KubeObject, resourceVersion: string) => ({ ...o, metadata: { ...o.metadata, resourceVersion } });

  it("skips a ProxyService update that changed only its status (the operator's own write coming back)", () => {
    const next = { ...version(a, "2"), status: { observedGeneration: 1, conditions: [] } };
    expect(ownersOfChange({ type: "modified", old: version(a, "1"), object: next }, proxyServices)).toEqual([]);
  });

  it("reconciles a ProxyService for a change of spec, labels, annotations, finalizers or deletion, and for its creation", () => {
    const old = version(a, "1");
    const changed: (ProxyService & KubeObject)[] = [
      { ...version(a, "2"), spec: { ...a.spec, port: 81 }, metadata: { ...a.metadata, resourceVersion: "2", generation: 2 } },
      { ...version(a, "2"), metadata: { ...a.metadata, resourceVersion: "2", labels: { team: "x" } } },
      { ...version(a, "2"), metadata: { ...a.metadata, resourceVersion: "2", annotations: { note: "x" } } },
      { ...version(a, "2"), metadata: { ...a.metadata, resourceVersion: "2", finalizers: ["f"] } },
      { ...version(a, "2"), metadata: { ...a.metadata, resourceVersion: "2", deletionTimestamp: new Date("2026-01-02T00:00:00Z") } },
    ];
    for (const object of changed) expect(ownersOfChange({ type: "modified", old, object }, proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`]);
    expect(ownersOfChange({ type: "added", object: old }, proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`]);
    expect(ownersOfChange({ type: "deleted", object: old }, proxyServices).sort()).toEqual([`${NS}/ps-a`, `${NS}/ps-b`]);
  });

  it("passes a status change of any other kind on: a Deployment's or a pod's status is news", () => {
    const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: NS, resourceVersion: "1", labels: { "app.kubernetes.io/instance": "ps-a" } } };
    const ready = { ...pod, metadata: { ...pod.metadata, resourceVersion: "2" }, status: { phase: "Running" } } as KubeObject;
    expect(ownersOfChange({ type: "modified", old: pod, object: ready }, proxyServices)).toEqual([`${NS}/ps-a`]);
  });
});
