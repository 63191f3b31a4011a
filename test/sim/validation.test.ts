import { describe, expect, it } from "vitest";
import { erlangKM1MeanResponse, mm1MeanResponse, mmcMeanResponse, powerOfDMeanResponse } from "../../src/sim/closed-forms.js";
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import { simulate } from "../../src/sim/simulate.js";

// The simulator against closed forms (issue 5): mean response within 3 %, fixed seeds, and
// enough requests that the statistical error is well inside that (about 0.5 % at these sizes).
const oneBalancer = (over: Partial<SimConfig>): SimConfig => ({ ...DEFAULT_CONFIG, mode: "global", seed: 7, ...over });
const TOLERANCE = 0.03;

describe("simulate agrees with closed forms", () => {
  it("random over single-worker exponential servers matches M/M/1 per server: 1 / (mu - lambda / R)", () => {
    const sim = simulate(oneBalancer({ policy: "random", replicas: 20, load: 0.8, requests: 2_000_000 }));
    const exact = mm1MeanResponse(0.8);
    expect(Math.abs(sim.mean / exact - 1)).toBeLessThan(TOLERANCE);
  });

  it("round-robin from one balancer matches E_R/M/1 (sigma = A*(mu(1 - sigma)) solved numerically)", () => {
    const sim = simulate(oneBalancer({ policy: "round-robin", replicas: 10, load: 0.8, requests: 2_000_000 }));
    const exact = erlangKM1MeanResponse(10, 0.8);
    expect(exact).toBeLessThan(mm1MeanResponse(0.8) * 0.7); // round-robin's regularity must show
    expect(Math.abs(sim.mean / exact - 1)).toBeLessThan(TOLERANCE);
  });

  it("least-request d = 2 from one balancer over R = 1000 matches the power-of-two mean-field sum", () => {
    const sim = simulate(oneBalancer({ policy: "least-request", choices: 2, replicas: 1000, load: 0.9, requests: 2_000_000 }));
    const exact = powerOfDMeanResponse(2, 0.9);
    expect(Math.abs(sim.mean / exact - 1)).toBeLessThan(TOLERANCE);
  });

  it("global join-the-shortest-queue lies above the M/M/R (Erlang C) floor and below one balancer with d = 2", () => {
    const base = { replicas: 20, load: 0.8, requests: 1_000_000 } as const;
    const jsq = simulate(oneBalancer({ ...base, policy: "least-request", choices: "all" })).mean;
    const d2 = simulate(oneBalancer({ ...base, policy: "least-request", choices: 2 })).mean;
    const floor = mmcMeanResponse(20, 0.8);
    // Reported ratio (see docs/simulate.md): about 1.08 at this size.
    expect(jsq / floor).toBeGreaterThan(1);
    expect(jsq / floor).toBeLessThan(1.2);
    expect(jsq).toBeLessThan(d2);
  });
});

describe("closed forms", () => {
  it("E_1/M/1 is M/M/1 and M/M/1 via Erlang C with one server agrees", () => {
    expect(erlangKM1MeanResponse(1, 0.8)).toBeCloseTo(5, 9);
    expect(mmcMeanResponse(1, 0.8)).toBeCloseTo(5, 9);
  });

  it("the power-of-d sum has its known value at rho 0.9 and falls as d grows", () => {
    expect(powerOfDMeanResponse(2, 0.9)).toBeCloseTo(2.614, 3);
    expect(powerOfDMeanResponse(3, 0.9)).toBeLessThan(powerOfDMeanResponse(2, 0.9));
  });
});
