import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateCluster } from "../cluster/local-cluster.js";
import { installCrdAndRole, useCluster } from "../operator/support.js";
import { ENDPOINTS_GRACE_MS } from "../../../src/controller/availability.js";
import { runChaos } from "./chaos.js";

// Issue 16, part 5, in CI: at least 100 seeded faults against 5 ProxyServices on a private cluster (faults
// restart its API server and istiod, so the shared cluster is left alone). bench/chaos/run.ts runs 1,000.

const FAULTS = Number(process.env.CHAOS_FAULTS ?? 100);
const SEED = Number(process.env.CHAOS_SEED ?? 20261203);
const WORSE_BOUND_MS = 2000;
/** The chaos's leader election retries every second (chaos.ts, LEASE). */
const LEASE_RETRY_MS = 1000;
/**
 * The local cluster declares a silent node unreachable after 20 s (node-monitor-grace-period) and the endpoints
 * follow; the chaos's node failures last 5-25 s, so a stretch ends by the node's return or its marking.
 */
const DEAD_NODE_BOUND_MS = 30_000;

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
    const { timelines: _timelines, explain, ...printed } = report;
    console.log(JSON.stringify(printed, null, 2));
    for (const i of report.services.keys()) console.log(explain(i, 2000));
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBe(FAULTS);
    for (const [i, s] of report.services.entries()) {
      const why = `${s.service}:\n${explain(i, 0)}`;
      // The promise: never less available than without the ProxyService, as far as an operator can see and
      // act. A fallback falls due within 2 s of the last serving proxy endpoint leaving (the benchmark's p99 is
      // under 1 s; a loaded CI machine gets the margin).
      expect(s.longestWorseThanWithoutMs, why).toBeLessThanOrEqual(WORSE_BOUND_MS);
      // While the API server restarts nobody can write; once it is back, the same bound plus one lease retry
      // (the leader may have lost its 4 s lease meanwhile and exited; the standby takes over) plus the grace given
      // to the EndpointSlice controller, which can be seconds behind after the restart.
      expect(s.longestWorseAfterApiServerRestartMs, why).toBeLessThanOrEqual(WORSE_BOUND_MS + LEASE_RETRY_MS + ENDPOINTS_GRACE_MS);
      // A node that dies under the Service's last serving proxy: the proxy reads Ready until the node is declared
      // unreachable, so no operator can act sooner (docs/operator.md, "Node failures"). Reported, and bounded
      // by the node-lifecycle controller: it must end once the node's pods are marked, not last the chaos.
      expect(s.longestWorseWithDeadNodeMs, why).toBeLessThanOrEqual(DEAD_NODE_BOUND_MS);
      // And the proxies did serve between the faults (the share depends on the faults drawn: crash loops wait out
      // the kubelet's back-off, and each fallback holds for 5 s or more).
      expect(s.throughProxies, `${s.service} went through its proxies`).toBeGreaterThan(0);
    }
  });
});
