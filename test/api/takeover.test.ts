import { describe, expect, it } from "vitest";
import {
  Annotations,
  decodeTakeoverRecord,
  encodeTakeoverRecord,
  proxySelectorValue,
  observeRecord,
  type TakeoverRecord,
} from "../../src/api/takeover.js";

const record: TakeoverRecord = {
  version: 1,
  proxyService: "ps-s0",
  selector: { tier: "web", app: "s0" },
  ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP", nodePort: 30958 }],
};

describe("takeover record", () => {
  it("round-trips through its annotation text", () => {
    expect(decodeTakeoverRecord(encodeTakeoverRecord(record))).toEqual({ ...record, selector: { app: "s0", tier: "web" } });
  });

  it("encodes the same record to the same text whatever the key order (no spurious writes)", () => {
    const reordered = { ...record, selector: { app: "s0", tier: "web" } };
    expect(encodeTakeoverRecord(reordered)).toBe(encodeTakeoverRecord(record));
  });

  it("makes the API server's port defaults explicit (protocol TCP, targetPort = port)", () => {
    const decoded = decodeTakeoverRecord(JSON.stringify({ version: 1, proxyService: "p", selector: {}, ports: [{ port: 8080 }] }));
    expect(decoded.ports).toEqual([{ port: 8080, protocol: "TCP", targetPort: 8080 }]);
  });

  it("rejects text that is not a record, naming the annotation", () => {
    expect(() => decodeTakeoverRecord("{")).toThrow(Annotations.takeover);
    expect(() => decodeTakeoverRecord('{"version":2}')).toThrow(/not a takeover record/);
  });

  it("reads the record that names the ProxyService that took the Service over", () => {
    const service = { metadata: { annotations: { [Annotations.takeover]: encodeTakeoverRecord(record) } } };
    expect(observeRecord(service).record?.proxyService).toBe("ps-s0");
    expect(observeRecord({ metadata: {} }).record).toBeUndefined();
    expect(observeRecord(undefined).record).toBeUndefined();
  });

  it("keeps a malformed record as its error, naming the annotation, instead of throwing", () => {
    expect(observeRecord({ metadata: { annotations: { [Annotations.takeover]: "{" } } })).toEqual({ recordError: `annotation ${Annotations.takeover}: not JSON` });
    expect(observeRecord({ metadata: { annotations: { [Annotations.takeover]: '{"version":2}' } } }).recordError).toMatch(/not a takeover record/);
    expect(observeRecord({ metadata: {} })).toEqual({});
  });
});

describe("proxySelectorValue", () => {
  it("is <namespace>.<name> when it fits in a label value", () => {
    expect(proxySelectorValue("shop", "ps-s0")).toBe("shop.ps-s0");
  });

  it("differs for the same name in two namespaces", () => {
    expect(proxySelectorValue("a", "ps-s0")).not.toBe(proxySelectorValue("b", "ps-s0"));
  });

  it("hashes long names into a valid, deterministic, distinct label value", () => {
    const ns = "n".repeat(63);
    const a = proxySelectorValue(ns, "x".repeat(63));
    const b = proxySelectorValue(ns, `${"x".repeat(62)}y`);
    for (const v of [a, b]) {
      expect(v.length).toBeLessThanOrEqual(63);
      expect(v).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    }
    expect(a).not.toBe(b);
    expect(proxySelectorValue(ns, "x".repeat(63))).toBe(a);
  });
});
