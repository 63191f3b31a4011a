import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateCluster } from "../cluster/local-cluster.js";
import { installCrdAndRole, useCluster } from "../operator/support.js";
import { WATCH_RECOVERY_MS, runChaos } from "./chaos.js";

// Issue 16, part 5, in CI: at least 100 seeded faults against 5 ProxyServices on a private cluster (faults
// restart its API server and istiod, so the shared cluster is left alone). bench/chaos/run.ts runs 1,000.

/**
 * The longest a Service may go without a serving endpoint on a live node. Planned disruptions (drains,
 * evictions, rollouts) must cause none at all; unplanned ones are bounded by the fallback (p99 <= 1 s on an
 * idle machine, bench/availability) and, for a node that dies under a Service's only serving endpoints, by
 * the node-lifecycle controller's grace period (20 s here) that every endpoint on that node waits for,
 * with or without a ProxyService: two proxies on two nodes (the default) avoid it.
 */
const BOUND_MS = 2_000;
const FAULTS = Number(process.env.CHAOS_FAULTS ?? 100);
const SEED = Number(process.env.CHAOS_SEED ?? 20261203);

describe("chaos: seeded faults against 5 ProxyServices", () => {
  const cluster = new PrivateCluster();
  beforeAll(async () => {
    await cluster.up();
    useCluster(cluster.kubeConfig());
    await installCrdAndRole();
  });
  afterAll(async () => {
    await cluster.destroy();
  });

  it(`keeps every Service served through ${FAULTS} faults`, { timeout: 1_800_000 }, async () => {
    const report = await runChaos({ cluster, faults: FAULTS, seed: SEED, proxyServices: 5, log: (l) => console.log(l) });
    const { timelines, ...printed } = report;
    console.log(JSON.stringify(printed, null, 2));
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBe(FAULTS);
    for (const [i, s] of report.services.entries()) {
      // The promise: never less available than without the ProxyService. A moment when the application's own
      // Service had no serving pod either (an API server restart that made every node NotReady, a drain of
      // every replica's node) is the application's outage, reported as longestWithoutServingMs, not asserted.
      expect(s.longestWorseThanWithoutMs, `${s.service}:\n${timelines[i]!.describe()}`).toBeLessThanOrEqual(BOUND_MS);
      // While the API server restarts the operator cannot write, and its watches come back with their backoff:
      // a fallback due then waits for them (a known limit, issue 16's closing note), bounded by that backoff.
      expect(s.longestWorseAfterApiServerRestartMs, `${s.service}:\n${timelines[i]!.describe()}`).toBeLessThanOrEqual(WATCH_RECOVERY_MS + BOUND_MS);
      // And the proxies did serve between the faults (the share depends on the faults drawn: crash loops wait out
      // the kubelet's back-off, and each fallback holds for 5 s or more).
      expect(s.throughProxies, `${s.service} went through its proxies`).toBeGreaterThan(0);
    }
  });
});
