import { describe, expect, it } from "vitest";
import { ASSUMED_CALLERS, ASSUMED_LOAD, balancingCondition, GAIN_KEPT_THRESHOLD, gainKept, type BalancingInput } from "../../src/api/balancing.js";
import { createMeanLatencyPredictor } from "../../src/cli/balancing-predictor.js";

// The decision runs on the real simulator (src/sim), with fewer requests than the operator uses.
const predict = createMeanLatencyPredictor(60_000);
const at = (proxies: number, choices: BalancingInput["choices"] = 2, replicas = 20): BalancingInput => ({
  proxies,
  replicas,
  callers: ASSUMED_CALLERS,
  load: ASSUMED_LOAD,
  choices,
});

describe("gainKept", () => {
  it("is all of it with one proxy, and shrinks as proxies are added", () => {
    expect(gainKept(at(1), predict)).toBe(1);
    const kept = [2, 4, 8, 16].map((k) => gainKept(at(k), predict));
    for (let i = 1; i < kept.length; i++) expect(kept[i]).toBeLessThan(kept[i - 1] ?? 1);
    expect(kept[0]).toBeGreaterThan(GAIN_KEPT_THRESHOLD);
  });

  it("falls faster with a full scan, whose one-proxy gain is larger", () => {
    expect(gainKept(at(4, "All"), predict)).toBeLessThan(gainKept(at(4, 2), predict));
  });
});

describe("balancingCondition", () => {
  it("is True (GainKept) with one proxy, naming the numbers and the assumptions", () => {
    const c = balancingCondition(at(1), predict, 3);
    expect(c).toMatchObject({ type: "GlobalView", status: "True", reason: "GainKept", observedGeneration: 3 });
    expect(c.message).toContain("1 proxy serves 20 target pods");
    expect(c.message).toContain(`assuming ${ASSUMED_CALLERS} callers at utilisation ${ASSUMED_LOAD}`);
  });

  it("is False (TooManyProxies) when autoscaling spread the load over many proxies, and says what to change", () => {
    const c = balancingCondition(at(16, "All"), predict, 1);
    expect(c.status).toBe("False");
    expect(c.reason).toBe("TooManyProxies");
    expect(c.message).toMatch(/16 proxies serve 20 target pods with All least-request choices.*keep \d+ % of one proxy's gain/);
    expect(c.message).toContain("raise spec.resources.requests.cpu");
  });

  it("is Unknown while no proxy serves or the target has no pods", () => {
    expect(balancingCondition(at(0), predict, 1).status).toBe("Unknown");
    expect(balancingCondition({ ...at(2), replicas: 0 }, predict, 1).status).toBe("Unknown");
  });

  it("answers a repeated question from its cache, without simulating again", () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) balancingCondition(at(16, "All"), predict, 1);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
