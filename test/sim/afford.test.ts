import { describe, expect, it } from "vitest";
import { affordableProxies } from "../../src/sim/afford.js";
import { DEFAULT_CONFIG } from "../../src/sim/config.js";

describe("affordableProxies", () => {
  const base = { ...DEFAULT_CONFIG, callers: 100, replicas: 20, load: 0.8, requests: 60_000 };

  it("keeps all of the gain with one proxy and less with more, and answers the most that keep the share asked", () => {
    const answer = affordableProxies(base, 0.5, [1, 2, 4, 8, 16, 32]);
    expect(answer.rows[0]?.gainKept).toBe(1);
    expect(answer.rows.at(-1)?.gainKept ?? 1).toBeLessThan(0.5);
    const first = answer.rows.find((r) => r.gainKept < 0.5);
    expect(answer.affordable).toBeLessThan(first?.proxies ?? Infinity);
    for (const r of answer.rows.filter((x) => x.proxies <= answer.affordable)) expect(r.gainKept).toBeGreaterThanOrEqual(0.5);
  });

  it("affords fewer proxies with a full scan than with two choices", () => {
    const two = affordableProxies(base, 0.5, [1, 2, 3, 4, 6, 8, 12, 16]);
    const all = affordableProxies(base, 0.5, [1, 2, 3, 4, 6, 8, 12, 16], "all");
    expect(all.affordable).toBeLessThan(two.affordable);
  });
});
