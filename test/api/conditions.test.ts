import { describe, expect, it } from "vitest";
import { ConditionTypes, Reasons, setCondition } from "../../src/api/conditions.js";

const t0 = new Date("2026-01-01T00:00:00.000Z");
const t1 = new Date("2026-01-01T00:05:00.000Z");
const notReady = { type: ConditionTypes.Ready, status: "False", reason: Reasons.ProxyNotAvailable, message: "no proxy pod is Ready", observedGeneration: 1 } as const;

describe("setCondition", () => {
  it("adds a condition with lastTransitionTime now (RFC 3339, seconds) and the observedGeneration", () => {
    const [c] = setCondition(undefined, notReady, t0);
    expect(c).toEqual({ ...notReady, lastTransitionTime: "2026-01-01T00:00:00Z" });
  });

  it("keeps lastTransitionTime when only the reason, message or generation changes", () => {
    const first = setCondition([], notReady, t0);
    const [c] = setCondition(first, { ...notReady, reason: Reasons.TargetServiceMissing, message: "x", observedGeneration: 2 }, t1);
    expect(c?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    expect(c?.reason).toBe("TargetServiceMissing");
    expect(c?.observedGeneration).toBe(2);
  });

  it("changes lastTransitionTime when the status flips", () => {
    const first = setCondition([], notReady, t0);
    const [c] = setCondition(first, { ...notReady, status: "True", reason: Reasons.Ready }, t1);
    expect(c?.lastTransitionTime).toBe("2026-01-01T00:05:00Z");
  });

  it("returns the same array when nothing changed, so a caller can skip the status write", () => {
    const first = setCondition([], notReady, t0);
    expect(setCondition(first, notReady, t1)).toBe(first);
  });

  it("keeps other conditions and their order, and does not change its input", () => {
    const other = { type: "Other", status: "True", reason: "X", message: "m", lastTransitionTime: "2025-01-01T00:00:00Z" } as const;
    const input = [other];
    const out = setCondition(input, notReady, t0);
    expect(out.map((c) => c.type)).toEqual(["Other", "Ready"]);
    expect(input).toEqual([other]);
  });
});
