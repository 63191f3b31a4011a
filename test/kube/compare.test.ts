import { describe, expect, it } from "vitest";
import { isDeepEqual, isSubset } from "../../src/kube/compare.js";

describe("isSubset", () => {
  it("ignores fields the API server defaulted", () => {
    const want = { spec: { ports: [{ port: 80 }], selector: { a: "b" } } };
    const have = { spec: { ports: [{ port: 80, protocol: "TCP" }], selector: { a: "b" }, clusterIP: "10.0.0.1" } };
    expect(isSubset(want, have)).toBe(true);
  });

  it("sees a changed value, a missing element and an extra element", () => {
    expect(isSubset({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
    expect(isSubset({ a: [1, 2] }, { a: [1] })).toBe(false);
    expect(isSubset({ a: [1] }, { a: [1, 2] })).toBe(false);
  });
});

describe("isDeepEqual", () => {
  it("ignores key order and undefined values", () => {
    expect(isDeepEqual({ a: 1, b: { c: [1, 2] }, d: undefined }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(isDeepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});
