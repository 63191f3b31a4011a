import { describe, expect, it } from "vitest";
import { compareCodeUnits } from "../../src/api/order.js";

describe("compareCodeUnits", () => {
  it("orders as Go's < does on ASCII, which a locale's collation does not", () => {
    const names = ["b", "a-b", "a.b", "ab", "a0", "Z", "a"];
    expect([...names].sort(compareCodeUnits)).toEqual(["Z", "a", "a-b", "a.b", "a0", "ab", "b"]);
    // The locale's order puts "Z" after the lowercase names: istiod would not.
    expect("Z".localeCompare("a")).toBeGreaterThan(0);
    expect(compareCodeUnits("Z", "a")).toBeLessThan(0);
  });

  it("is 0 only for equal strings", () => {
    expect(compareCodeUnits("ps-1", "ps-1")).toBe(0);
    expect(compareCodeUnits("ps-1", "ps-10")).toBeLessThan(0);
    expect(compareCodeUnits("ps-10", "ps-1")).toBeGreaterThan(0);
  });
});
