import { describe, expect, it } from "vitest";
import { waitFor } from "../../support/wait-for.js";
import { EndpointTimeline } from "./endpoint-timeline.js";
import { useOperator } from "./harness.js";
import { admin, apply, deploySampleApp, getPs, mergePatch, readYaml, remove, startOperator, waitReady, type OperatorProcess } from "./support.js";

// Issue 16, point 5: the operator leader killed during a proxy outage. The fallback needs a running operator:
// with two replicas the standby takes the Lease within the lease duration and then falls back.

const LEASE_SECONDS = 4;
const leaderArgs = ["--lease-duration", `${LEASE_SECONDS}`, "--renew-deadline", "3", "--retry-period", "1"];
const UNPLANNED_GAP_BOUND_MS = 2_000;

const isLeader = async (op: OperatorProcess): Promise<boolean> =>
  /leader_election_master_status\{name="proxyservice"\} 1/.test(await op.metrics().catch(() => ""));

describe("availability when the operator leader dies with the last proxy", () => {
  const h = useOperator("op-avail-leader", [], false);

  it("the standby takes the Lease and falls back within the lease duration plus the fallback's bound", async () => {
    const ops: OperatorProcess[] = [await startOperator(h.kubeconfig, h.ns, leaderArgs), await startOperator(h.kubeconfig, h.ns, leaderArgs)];
    try {
      await deploySampleApp(h.ns);
      const [ps] = readYaml("example/proxy-service-example.yaml");
      await apply({ ...ps!, spec: { ...(ps as unknown as { spec: object }).spec, autoscaling: { minReplicas: 1, maxReplicas: 1 } } } as never, h.ns);
      await waitReady(h.ns, "ps-s0", 90_000);
      const timeline = await EndpointTimeline.start(h.ns, "sn0", "ps-s0");
      try {
        await waitFor(async () => timeline.now.proxies === 1 && timeline.now.app === 0, { timeout: 30_000, description: "sn0 lists only the proxy" });
        const leader = await waitFor(async () => {
          for (const op of ops) if (await isLeader(op)) return op;
          return undefined;
        }, { timeout: 30_000, description: "a leader" });
        const pods = await admin.request<{ items: { metadata: { name: string } }[] }>("GET", `/api/v1/namespaces/${h.ns}/pods`, { query: { labelSelector: "app.kubernetes.io/instance=ps-s0" } });
        const start = Date.now();
        await Promise.all([
          leader.stop("SIGKILL"),
          ...pods.items.map((p) => mergePatch("v1", "Pod", h.ns, p.metadata.name, { metadata: { annotations: { "local-cluster.msvcbench.io/unready": "true" } } })),
        ]);
        await waitFor(async () => timeline.now.app > 0, { timeout: 60_000, description: "the standby falls back" });
        const gap = timeline.fallbackGap(start)!;
        console.log(`leader killed with the last proxy: application listed after ${gap} ms (lease ${LEASE_SECONDS} s)\n${timeline.describe(start)}`);
        expect(gap).toBeLessThanOrEqual(LEASE_SECONDS * 1000 + UNPLANNED_GAP_BOUND_MS);
      } finally {
        timeline.stop();
      }
      // Deleted while an operator still runs, so its finalizer completes and the namespace can go.
      await remove("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0");
      await waitFor(async () => (await getPs(h.ns, "ps-s0")) === undefined, { timeout: 60_000, description: "ps-s0 deleted" });
    } finally {
      for (const op of ops) await op.stop("SIGTERM");
    }
  });
});
