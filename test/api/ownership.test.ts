import { describe, expect, it } from "vitest";
import { isControlledByProxyService, isOwnedBy, proxyServiceControllerOf } from "../../src/api/ownership.js";
import { Labels, ownedLabelsOf, proxyPodSelector, proxySelectorValue } from "../../src/api/labels.js";

const ref = (kind: string, controller: boolean) => ({ apiVersion: "msvcbench.io/v1alpha1", kind, name: "ps-s0", uid: "u1", controller });

describe("ownership: is this object ours?", () => {
  it("finds the controller ProxyService, ignoring another kind's controller and a non-controller reference", () => {
    expect(proxyServiceControllerOf({ ownerReferences: [ref("Deployment", true), ref("ProxyService", true)] })?.name).toBe("ps-s0");
    expect(proxyServiceControllerOf({ ownerReferences: [ref("ProxyService", false)] })).toBeUndefined();
    expect(isControlledByProxyService({ metadata: { ownerReferences: [ref("Deployment", true)] } })).toBe(false);
    expect(isControlledByProxyService({ metadata: {} })).toBe(false);
  });

  it("owns by uid when the ProxyService has one, else by the managed-by and instance labels (render of a file)", () => {
    const owned = { metadata: { ownerReferences: [ref("ProxyService", true)] } };
    expect(isOwnedBy(owned, { metadata: { uid: "u1", name: "ps-s0" } })).toBe(true);
    expect(isOwnedBy(owned, { metadata: { uid: "u2", name: "ps-s0" } })).toBe(false);
    expect(isOwnedBy({ metadata: { labels: ownedLabelsOf("ps-s0") } }, { metadata: { name: "ps-s0" } })).toBe(true);
    expect(isOwnedBy({ metadata: { labels: ownedLabelsOf("ps-s1") } }, { metadata: { name: "ps-s0" } })).toBe(false);
    expect(isOwnedBy(undefined, { metadata: { name: "ps-s0" } })).toBe(false);
  });

  it("builds the proxy pods' selector in one place", () => {
    expect(proxyPodSelector("shop", "ps-s0")).toEqual({ [Labels.proxy]: proxySelectorValue("shop", "ps-s0") });
  });
});
