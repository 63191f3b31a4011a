import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type OutlierDetection, type SimConfig } from "../../src/sim/config.js";
import { simulate } from "../../src/sim/simulate.js";

// Slow and fast-failing replicas and outlier detection (issue 19, part 2), against closed forms
// where the policy makes one, and against the risk the issue names for least-request.
const config = (over: Partial<SimConfig>): SimConfig => ({ ...DEFAULT_CONFIG, seed: 3, ...over });
const failingOne = { count: 1, rate: 1, time: 0.01 } as const;

describe("a slow replica", () => {
  it("under random balancing is an M/M/1 queue at the slowed rate: the mean mixes 1/(1 - rho) and s/(1 - s rho)", () => {
    // R = 10, one replica 2x slower, rho 0.4: 0.1 x 2 / (1 - 0.8) + 0.9 x 1 / (1 - 0.4) = 2.5.
    const sim = simulate(config({ mode: "global", policy: "random", replicas: 10, load: 0.4, slow: { count: 1, factor: 2 }, requests: 2_000_000 }));
    expect(Math.abs(sim.mean / 2.5 - 1)).toBeLessThan(0.03);
  });
});

describe("a fast-failing replica", () => {
  it("draws more than its share from least-request, and the most from a full scan in one proxy", () => {
    const R = 20;
    const run = (over: Partial<SimConfig>): number => simulate(config({ replicas: R, callers: 60, load: 0.8, failing: failingOne, requests: 300_000, ...over })).failedFraction;
    const proxyAll = run({ mode: "proxy", choices: "all" });
    const proxyTwo = run({ mode: "proxy" });
    const random = run({ policy: "random" });
    expect(Math.abs(random * R - 1)).toBeLessThan(0.05); // random: exactly its share
    expect(proxyTwo).toBeGreaterThan(1.3 / R);
    expect(proxyAll).toBeGreaterThan(2.5 / R);
    expect(proxyAll).toBeGreaterThan(proxyTwo);
  });

  it("fails only the requests it answers: the failed share is the share it received times the failure rate", () => {
    const sim = simulate(config({ policy: "random", replicas: 10, failing: { count: 1, rate: 0.4, time: 0.01 }, requests: 1_000_000 }));
    expect(Math.abs(sim.failedFraction / (0.1 * 0.4) - 1)).toBeLessThan(0.03);
  });
});

describe("outlier detection", () => {
  const od = (over: Partial<OutlierDetection>): OutlierDetection => ({ consecutiveErrors: 5, baseEjectionTime: 2000, maxEjectionTime: 2000, maxEjectionPercent: 10, ...over });

  it("lets exactly 5 errors through per ejection: with round-robin the failed share is 5 / (lambda T + 5 R)", () => {
    // One balancer, R = 10, lambda = 5: the failing replica gets every R-th request until the 5th
    // error in a row (5 R requests), then is out for T = 2000 (a fixed time: base = max).
    const R = 10;
    const lambda = 0.5 * R;
    const T = 2000;
    const sim = simulate(config({ mode: "global", policy: "round-robin", replicas: R, load: 0.5, failing: failingOne, outlierDetection: od({}), requests: 2_000_000 }));
    const expected = 5 / (lambda * T + 5 * R);
    expect(Math.abs(sim.failedFraction / expected - 1)).toBeLessThan(0.05);
    expect(sim.ejections).toBeGreaterThan(150);
  });

  it("never ejects more than the maximum share, but always one", () => {
    const two = { count: 2, rate: 1, time: 0.01 } as const;
    const run = (maxEjectionPercent: number): number =>
      simulate(config({ mode: "global", policy: "round-robin", replicas: 10, load: 0.5, failing: two, outlierDetection: od({ maxEjectionPercent }), requests: 400_000 })).failedFraction;
    // 10 %: one of the two is out, the other keeps failing about 1 / 9 of the requests.
    expect(run(10)).toBeGreaterThan(0.09);
    // 20 %: both can go, and almost nothing fails.
    expect(run(20)).toBeLessThan(0.01);
  });

  it("grows the ejection time with every ejection up to the maximum", () => {
    const run = (maxEjectionTime: number): number =>
      simulate(config({ mode: "global", policy: "round-robin", replicas: 10, load: 0.5, failing: failingOne, outlierDetection: od({ baseEjectionTime: 200, maxEjectionTime }), requests: 1_000_000 })).ejections;
    // A fixed 200 against 200, 400, 600, ... up to 4000: far fewer ejections.
    expect(run(200)).toBeGreaterThan(3 * run(4000));
  });

  it("protects every policy: the failed share falls below a tenth of its share once the replica is ejected", () => {
    for (const policy of ["least-request", "peak-ewma", "prequal"] as const) {
      const sim = simulate(config({ mode: "proxy", policy, replicas: 20, load: 0.8, failing: failingOne, outlierDetection: od({ baseEjectionTime: 1500, maxEjectionTime: 15_000 }), requests: 300_000 }));
      expect(sim.failedFraction).toBeLessThan(0.1 / 20);
    }
  });

  it("refuses settings that cannot work, naming the field", () => {
    expect(() => simulate(config({ outlierDetection: od({ consecutiveErrors: 0 }) }))).toThrow(/consecutiveErrors/);
    expect(() => simulate(config({ outlierDetection: od({ maxEjectionTime: 1 }) }))).toThrow(/maxEjectionTime/);
    expect(() => simulate(config({ failing: { count: 30, rate: 1, time: 0.01 } }))).toThrow(/failingReplicas/);
    expect(() => simulate(config({ failing: { count: 1, rate: 2, time: 0.01 } }))).toThrow(/failureRate/);
  });
});
