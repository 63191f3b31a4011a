import { describe, expect, it } from "vitest";
import { claimedByAnother } from "../../src/api/claim.js";

const ps = (name: string, created: string, serviceName = "sn0") => ({
  metadata: { name, creationTimestamp: new Date(created) },
  spec: { serviceName },
});
const record = (proxyService: string) => ({ version: 1 as const, proxyService, selector: { app: "s0" }, ports: [] });

describe("claimedByAnother (who may take a Service over)", () => {
  const a = ps("ps-a", "2026-01-02T00:00:00Z");
  const b = ps("ps-b", "2026-01-01T00:00:00Z");

  it("is nobody else when no other ProxyService names the Service", () => {
    expect(claimedByAnother(a, [ps("ps-c", "2026-01-01T00:00:00Z", "other")], undefined, undefined)).toBeUndefined();
  });

  it("is the one the takeover record names, then the creator, then the oldest", () => {
    expect(claimedByAnother(b, [a], record("ps-a"), undefined)).toBe("ps-a");
    expect(claimedByAnother(b, [a], undefined, [{ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: "ps-a", uid: "u", controller: true }])).toBe("ps-a");
    expect(claimedByAnother(a, [b], undefined, undefined)).toBe("ps-b");
    expect(claimedByAnother(b, [a], undefined, undefined)).toBeUndefined();
  });

  it("lets a record that names a ProxyService that is gone claim nothing (the takeover is adopted)", () => {
    expect(claimedByAnother(a, [], record("ps-gone"), undefined)).toBeUndefined();
    expect(claimedByAnother(a, [b], record("ps-gone"), undefined)).toBe("ps-b");
  });
});
