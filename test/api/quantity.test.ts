import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { QUANTITY, canonicalQuantity, parseQuantity } from "../../src/api/quantity.js";
import { cpuCores } from "../../src/api/sizing.js";
import { ProxyServiceSpecSchema, plainSchema } from "../../src/api/schema.js";
import { validateProxyService } from "../../src/api/validate.js";

describe("canonicalQuantity", () => {
  // Each pair is what the API server stores for the left-hand side (apimachinery's canonical form).
  it.each([
    ["0.5", "500m"],
    [0.5, "500m"],
    ["1024Mi", "1Gi"],
    ["1.5Gi", "1536Mi"],
    ["1000m", "1"],
    ["100m", "100m"],
    ["128Mi", "128Mi"],
    ["0.5Ki", "512"],
    ["2000", "2k"],
    ["1500", "1500"],
    [2, "2"],
    ["0", "0"],
    ["1e3", "1e3"],
    ["0.0000000001", "1n"],
    ["1.1Mi", "1153433600m"],
    ["0.1Mi", "104857600m"],
  ])("%s becomes %s", (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it("keeps the value exactly (whatever the form, the same number of nanos)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom("m", "", "k", "Ki", "Mi", "Gi"), (n, suffix) => {
        const text = `${n}${suffix}`;
        expect(parseQuantity(canonicalQuantity(text)).nanos).toBe(parseQuantity(text).nanos);
        expect(canonicalQuantity(canonicalQuantity(text))).toBe(canonicalQuantity(text));
      }),
    );
  });

  it("names the value that is not a quantity", () => {
    expect(() => canonicalQuantity("half")).toThrow('"half" is not a Kubernetes quantity');
  });
});

describe("one quantity grammar", () => {
  const manifest = (cpu: string) => ({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps" }, spec: { serviceName: "sn0", resources: { requests: { cpu } } } });

  it("is the CRD's pattern for every quantity field", () => {
    const text = JSON.stringify(plainSchema(ProxyServiceSpecSchema));
    const patterns = [...text.matchAll(/"pattern":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string).filter((p) => p.includes("KMGTPE"));
    expect(patterns).toHaveLength(4);
    for (const p of patterns) expect(p).toBe(QUANTITY.source);
  });

  it("refuses a fractional exponent in the CRD as apimachinery's parser does (the published OpenAPI pattern allows it)", () => {
    expect(validateProxyService(manifest("1e1.5"))).toMatchObject({ ok: false, problems: [{ field: "spec.resources.requests.cpu" }] });
    expect(() => parseQuantity("1e1.5")).toThrow(/not a Kubernetes quantity/);
  });

  it("reads binary suffixes as CPU too (1Ki passed the CRD but not the CPU parser)", () => {
    expect(validateProxyService(manifest("1Ki"))).toMatchObject({ ok: true });
    expect(cpuCores("1Ki")).toBe(1024);
  });

  it("refuses an exponent too large to compute, at once", () => {
    const started = Date.now();
    expect(() => parseQuantity("1e999999999")).toThrow(/too large/);
    expect(parseQuantity("1e-999999999").nanos).toBe(1n);
    expect(parseQuantity("0e999999999").nanos).toBe(0n);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
