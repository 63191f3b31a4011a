import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serviceSampler } from "../../src/sim/distributions.js";
import { EventHeap } from "../../src/sim/event-heap.js";
import { LatencyHistogram } from "../../src/sim/histogram.js";
import { Rng } from "../../src/sim/rng.js";

describe("Rng", () => {
  it("repeats its stream for the same seed and differs for another", () => {
    const draw = (seed: number): number[] => {
      const rng = new Rng(seed);
      return Array.from({ length: 5 }, () => rng.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it("draws uniforms strictly inside (0, 1) with mean 1/2 and integers inside [0, n)", () => {
    const rng = new Rng(3);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng.uniform();
      const k = rng.int(7);
      if (!(u > 0 && u < 1) || !(Number.isInteger(k) && k >= 0 && k < 7)) outside++;
      sum += u;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.005);
  });
});

describe("serviceSampler", () => {
  const moments = (draw: () => number, n = 200_000): { mean: number; cv: number } => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = draw();
      s += v;
      s2 += v * v;
    }
    const mean = s / n;
    return { mean, cv: Math.sqrt(s2 / n - mean * mean) / mean };
  };

  it("gives mean 1 and the requested coefficient of variation", () => {
    const exp = moments(serviceSampler({ kind: "exp" }, new Rng(1)));
    expect(exp.mean).toBeCloseTo(1, 1);
    expect(exp.cv).toBeCloseTo(1, 1);
    const logn = moments(serviceSampler({ kind: "lognormal", cv: 0.5 }, new Rng(2)));
    expect(logn.mean).toBeCloseTo(1, 1);
    expect(logn.cv).toBeCloseTo(0.5, 1);
    expect(moments(serviceSampler({ kind: "det" }, new Rng(1)), 10)).toEqual({ mean: 1, cv: 0 });
  });

  it("rescales empirical samples to mean 1 and draws only from them", () => {
    const draw = serviceSampler({ kind: "empirical", samples: [10, 30] }, new Rng(5));
    const seen = new Set(Array.from({ length: 1000 }, draw));
    expect([...seen].sort()).toEqual([0.5, 1.5]);
  });
});

describe("EventHeap", () => {
  it("pops events in time order, whatever the push order, growing past its capacity", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 300 }), (times) => {
        const heap = new EventHeap(2);
        times.forEach((t, i) => heap.push(t, i));
        const popped: number[] = [];
        while (heap.size > 0) popped.push(times[heap.pop()] as number);
        expect(popped).toEqual([...times].sort((a, b) => a - b));
        expect(heap.peekTime()).toBe(Number.POSITIVE_INFINITY);
      }),
    );
  });
});

describe("LatencyHistogram", () => {
  it("reports every quantile within its relative error of the exact nearest-rank value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-4, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const h = new LatencyHistogram(0.01);
          values.forEach((v) => h.add(v));
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.max(1, Math.ceil(q * values.length)) - 1] as number;
          expect(Math.abs(h.quantile(q) / exact - 1)).toBeLessThanOrEqual(0.01 + 1e-12);
        },
      ),
    );
  });

  it("keeps the exact mean and a bucket count that does not grow with the number of values", () => {
    const h = new LatencyHistogram();
    const buckets = h.bucketCount;
    for (let i = 1; i <= 100_000; i++) h.add(i / 1000);
    expect(h.bucketCount).toBe(buckets);
    expect(h.mean).toBeCloseTo(50.0005, 9);
    expect(h.max).toBe(100);
  });
});
