import { describe, expect, it } from "vitest";
import { cpuCores, proxyConcurrency, proxyScaleOutRps } from "../../src/api/sizing.js";

describe("sizing", () => {
  it.each([
    ["500m", 0.5],
    ["1", 1],
    [2, 2],
    ["1.5", 1.5],
    ["2000m", 2],
    ["1e0", 1],
    ["250000u", 0.25],
  ] as const)("reads %s as %s cores", (q, cores) => {
    expect(cpuCores(q)).toBeCloseTo(cores, 9);
  });

  it("throws on a quantity that is not one", () => {
    expect(() => cpuCores("lots")).toThrow(/not a CPU quantity/);
  });

  it("gives one worker thread per requested core, rounded up, at least one", () => {
    expect(proxyConcurrency("100m")).toBe(1);
    expect(proxyConcurrency("500m")).toBe(1);
    expect(proxyConcurrency("1")).toBe(1);
    expect(proxyConcurrency("1500m")).toBe(2);
    expect(proxyConcurrency(4)).toBe(4);
  });

  it("puts one default proxy's scale-out point above the published ~580 req/s, where 100m at 70 % was below it", () => {
    expect(proxyScaleOutRps("500m", 80)).toBeGreaterThan(580);
    expect(proxyScaleOutRps("100m", 70)).toBeLessThan(580 / 2);
  });
});
