import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import { simulate } from "../../src/sim/simulate.js";

// Any valid configuration must give self-consistent statistics, whatever the policy or mode.
const configs: fc.Arbitrary<SimConfig> = fc.record({
  callers: fc.integer({ min: 1, max: 40 }),
  replicas: fc.integer({ min: 1, max: 30 }),
  workers: fc.integer({ min: 1, max: 3 }),
  load: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
  policy: fc.constantFrom("random" as const, "round-robin" as const, "least-request" as const),
  choices: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant("all" as const)),
  draws: fc.constantFrom("with-replacement" as const, "without-replacement" as const),
  mode: fc.constantFrom("sidecar" as const, "proxy" as const, "global" as const),
  proxies: fc.integer({ min: 1, max: 8 }),
  service: fc.constantFrom({ kind: "exp" as const }, { kind: "det" as const }, { kind: "lognormal" as const, cv: 2 }),
  hopLatency: fc.constantFrom(0, 0.1),
  seed: fc.integer({ min: 0, max: 1000 }),
}).map((over) => ({ ...DEFAULT_CONFIG, ...over, requests: 4000 }));

describe("simulate invariants", () => {
  it("orders its percentiles, measures every post-warm-up request and splits load around an even share", () => {
    fc.assert(
      fc.property(configs, (config) => {
        const r = simulate(config);
        expect(r.requests).toBe(config.requests - Math.floor(config.requests * config.warmupFraction));
        expect(r.p50).toBeLessThanOrEqual(r.p95);
        expect(r.p95).toBeLessThanOrEqual(r.p99);
        expect(r.p99).toBeLessThanOrEqual(r.max);
        // No request is faster than its own service; with deterministic service, none is below 1.
        if (config.service.kind === "det") expect(r.p50).toBeGreaterThanOrEqual(1 * (1 - r.percentileError));
        expect(r.loadSpread.min).toBeLessThanOrEqual(1);
        expect(r.loadSpread.max).toBeGreaterThanOrEqual(1);
        expect(r.throughput).toBeGreaterThan(0);
      }),
      { numRuns: 60, seed: 5 },
    );
  });
});
