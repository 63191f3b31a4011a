import { describe, expect, it } from "vitest";
import { concernsProxyService, hostCanName } from "../../src/controller/destination-rules.js";
import type { KubeObject } from "../../src/kube/object.js";
import { NS, proxyService } from "./fixtures.js";

describe("hostCanName", () => {
  it("takes a short name relative to the rule's namespace, the longer forms, and covering wildcards", () => {
    expect(hostCanName("sn0", NS, "sn0", NS)).toBe(true);
    expect(hostCanName("sn0", "web", "sn0", NS)).toBe(false); // short names resolve in the rule's namespace
    for (const host of [`sn0.${NS}`, `sn0.${NS}.svc`, `sn0.${NS}.svc.cluster.local`, `*.${NS}.svc.cluster.local`, "*.cluster.local", "*"]) {
      expect(hostCanName(host, "web", "sn0", NS), host).toBe(true);
    }
    expect(hostCanName(`sn1.${NS}.svc.cluster.local`, NS, "sn0", NS)).toBe(false);
    expect(hostCanName("*.other.svc.cluster.local", NS, "sn0", NS)).toBe(false);
  });
});

describe("concernsProxyService", () => {
  const rule = (host: string, namespace = NS): KubeObject => ({ apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "r", namespace }, spec: { host } });
  it("is true for a rule on spec.serviceName or spec.target, false for another host", () => {
    const ps = proxyService();
    expect(concernsProxyService(rule("sn0"), ps)).toBe(true);
    expect(concernsProxyService(rule(`sn0-ep.${NS}.svc.cluster.local`, "web"), ps)).toBe(true);
    expect(concernsProxyService(rule("carts"), ps)).toBe(false);
  });
});
