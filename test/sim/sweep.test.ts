import { describe, expect, it } from "vitest";
import type { SimResult } from "../../src/sim/simulate.js";
import { compareBy, expandSweep, type SweepRun } from "../../src/sim/sweep.js";

const result = (mean: number, p95: number): SimResult => ({
  requests: 1,
  throughput: 1,
  mean,
  p50: mean,
  p95,
  p99: p95,
  p999: p95,
  max: p95,
  percentileError: 0.005,
  loadSpread: { min: 1, max: 1, cv: 0 },
  failedFraction: 0,
  ejections: 0,
});

describe("expandSweep", () => {
  it("runs every combination with the first axis varying slowest", () => {
    const points = expandSweep([
      { key: "mode", values: ["sidecar", "proxy"] },
      { key: "callers", values: ["10", "100"] },
    ]);
    expect(points).toEqual([
      { mode: "sidecar", callers: "10" },
      { mode: "sidecar", callers: "100" },
      { mode: "proxy", callers: "10" },
      { mode: "proxy", callers: "100" },
    ]);
    expect(expandSweep([])).toEqual([{}]);
  });

  it("refuses a key swept twice instead of silently keeping the later values", () => {
    expect(() => expandSweep([{ key: "load", values: ["0.5"] }, { key: "load", values: ["0.9"] }])).toThrow(/load is swept twice/);
  });
});

describe("compareBy", () => {
  it("pairs runs that differ only in the compared key and divides the first value's latency by the other's", () => {
    const runs: SweepRun[] = [
      { point: { callers: "10", mode: "sidecar" }, result: result(3, 9) },
      { point: { callers: "10", mode: "proxy" }, result: result(2, 6) },
      { point: { callers: "100", mode: "sidecar" }, result: result(5, 16) },
      { point: { callers: "100", mode: "proxy" }, result: result(2, 8) },
    ];
    const rows = compareBy(runs, "mode", ["sidecar", "proxy"]);
    expect(rows.map((r) => [r.rest, r.meanRatio, r.p95Ratio])).toEqual([
      [{ callers: "10" }, 1.5, 1.5],
      [{ callers: "100" }, 2.5, 2],
    ]);
  });
});
