import { describe, expect, it } from "vitest";
import { Balancers } from "../../src/sim/balancers.js";
import { mmcMeanResponse } from "../../src/sim/closed-forms.js";
import { ConfigError, DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import { Rng } from "../../src/sim/rng.js";
import { simulate } from "../../src/sim/simulate.js";

const config = (over: Partial<SimConfig>): SimConfig => ({ ...DEFAULT_CONFIG, requests: 50_000, ...over });

describe("simulate", () => {
  it("gives identical results for the same seed and different ones for another seed", () => {
    expect(simulate(config({ seed: 11 }))).toEqual(simulate(config({ seed: 11 })));
    expect(simulate(config({ seed: 11 })).mean).not.toBe(simulate(config({ seed: 12 })).mean);
  });

  it("gets worse as independent sidecars multiply, and one shared proxy is better than many sidecars", () => {
    const sidecar = (callers: number): number => simulate(config({ callers, requests: 200_000 })).mean;
    const proxy = simulate(config({ mode: "proxy", proxies: 1, requests: 200_000 })).mean;
    expect(sidecar(1)).toBeLessThan(sidecar(10));
    expect(sidecar(10)).toBeLessThan(sidecar(100));
    expect(proxy).toBeLessThan(sidecar(10));
  });

  it("adds the hop latency to every request in proxy mode and nowhere else", () => {
    const base = simulate(config({ mode: "proxy" }));
    const hop = simulate(config({ mode: "proxy", hopLatency: 0.25 }));
    expect(hop.mean - base.mean).toBeCloseTo(0.25, 9);
    expect(simulate(config({ hopLatency: 0.25 })).mean).toBe(simulate(config({})).mean);
  });

  it("models W workers sharing one FIFO queue: one replica with 2 workers is M/M/2", () => {
    const sim = simulate(config({ mode: "global", replicas: 1, workers: 2, load: 0.8, requests: 1_000_000 }));
    expect(Math.abs(sim.mean / mmcMeanResponse(2, 0.8) - 1)).toBeLessThan(0.03);
  });

  it("delivers the offered throughput and spreads requests evenly under random balancing", () => {
    const sim = simulate(config({ policy: "random", replicas: 10, load: 0.5, requests: 200_000 }));
    expect(sim.throughput).toBeCloseTo(0.5 * 10, 1);
    expect(sim.loadSpread.min).toBeGreaterThan(0.95);
    expect(sim.loadSpread.max).toBeLessThan(1.05);
  });

  it("replays a regular trace with deterministic service without any queueing", () => {
    const times = Array.from({ length: 100 }, (_, i) => i * 7);
    const sim = simulate(config({ arrivals: { kind: "trace", times }, service: { kind: "det" }, policy: "round-robin", mode: "global", load: 0.9, requests: 5000 }));
    expect(sim.max).toBeCloseTo(1, 12);
    expect(Math.abs(sim.throughput / (0.9 * 20) - 1)).toBeLessThan(1e-3);
  });

  it("rejects invalid configurations naming the field", () => {
    expect(() => simulate(config({ load: 1 }))).toThrow(ConfigError);
    expect(() => simulate(config({ replicas: 0 }))).toThrow(/replicas/);
    expect(() => simulate(config({ choices: 0 }))).toThrow(/choices: must be a whole number >= 1/);
    expect(() => simulate(config({ callers: 1_000_000, replicas: 1000 }))).toThrow(/callers: 1000000 balancers x 1000 replicas/);
  });
});

describe("Balancers", () => {
  it("gives each balancer a view of only its own outstanding requests", () => {
    const b = new Balancers(2, 4, "least-request", "all", "without-replacement", new Rng(1));
    const sent = [b.send(0), b.send(0), b.send(0), b.send(0)];
    // Balancer 0 spreads its own four requests over all four replicas...
    expect(new Set(sent).size).toBe(4);
    // ...and balancer 1, which sees none of them, still counts zero everywhere.
    expect([0, 1, 2, 3].map((r) => b.outstanding(1, r))).toEqual([0, 0, 0, 0]);
    b.complete(b.slot(0, sent[0] as number));
    expect(b.send(0)).toBe(sent[0]);
  });

  it("round-robin cycles through every replica from a per-balancer start", () => {
    const b = new Balancers(1, 3, "round-robin", 2, "without-replacement", new Rng(1));
    const first = b.send(0);
    expect([b.send(0), b.send(0), b.send(0)]).toEqual([(first + 1) % 3, (first + 2) % 3, first]);
  });

  it("draws two distinct candidates without replacement but may repeat one with replacement", () => {
    // With 2 replicas and d = 2, drawing without replacement always sees both, so it never picks the busier one.
    const countBusyPicks = (draws: "with-replacement" | "without-replacement"): number => {
      const b = new Balancers(1, 2, "least-request", 2, draws, new Rng(9));
      let busy = 0;
      for (let i = 0; i < 1000; i++) {
        const r = b.send(0); // one request in flight: the other replica is idle
        const r2 = b.send(0);
        if (r2 === r) busy++;
        b.complete(b.slot(0, r));
        b.complete(b.slot(0, r2));
      }
      return busy;
    };
    expect(countBusyPicks("without-replacement")).toBe(0);
    expect(countBusyPicks("with-replacement")).toBeGreaterThan(150); // about 1/4 of the time
  });
});
