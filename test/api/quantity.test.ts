import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalQuantity, parseQuantity } from "../../src/api/quantity.js";

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
