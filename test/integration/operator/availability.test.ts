import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/kube/object.js";
import { waitFor } from "../../support/wait-for.js";
import { EndpointTimeline } from "./endpoint-timeline.js";
import { useOperator } from "./harness.js";
import { admin, apply, deploySampleApp, getPs, mergePatch, readYaml, remove, waitReady, waitReason, type ProxyServiceObject } from "./support.js";

// Issue 16: a ProxyService never leaves its Service without a serving endpoint that reaches the application.
// Each test watches sn0's EndpointSlices (every state, not a poll) while a fault hits the proxies.

/**
 * The bound on an unplanned outage's gap (the last serving proxy endpoint gone until the application's pods
 * are listed). The goal is p99 <= 1 s, measured by bench/availability on an idle machine; a test run shares
 * the machine with builds and other suites, so it allows twice that.
 */
const UNPLANNED_GAP_BOUND_MS = 2_000;
const UNREADY = "local-cluster.msvcbench.io/unready";

interface Pod extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

async function proxyPods(ns: string): Promise<Pod[]> {
  const list = await admin.request<{ items: Pod[] }>("GET", `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: "app.kubernetes.io/instance=ps-s0" } });
  return list.items.filter((p) => p.metadata.deletionTimestamp === undefined);
}

const takeoverState = (ps: ProxyServiceObject | undefined): string | undefined => (ps?.status as { takeover?: { state?: string } } | undefined)?.takeover?.state;

async function warningEvents(ns: string, reason: string): Promise<number> {
  const list = await admin.request<{ items: { reason: string; type: string }[] }>("GET", `/apis/events.k8s.io/v1/namespaces/${ns}/events`, {
    query: { fieldSelector: "regarding.kind=ProxyService,regarding.name=ps-s0" },
  });
  return list.items.filter((e) => e.reason === reason && e.type === "Warning").length;
}

async function setNodesUnschedulable(unschedulable: boolean): Promise<void> {
  const nodes = await admin.request<{ items: KubeObject[] }>("GET", "/api/v1/nodes");
  for (const n of nodes.items) await mergePatch("v1", "Node", "", n.metadata.name, { spec: { unschedulable } });
}

describe("availability: the Service falls back to the application when no proxy serves", () => {
  const h = useOperator("op-avail");
  let timeline: EndpointTimeline;

  beforeAll(async () => {
    await deploySampleApp(h.ns);
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, h.ns);
    await waitReady(h.ns, "ps-s0");
    await waitFor(async () => takeoverState(await getPs(h.ns, "ps-s0")) === "TakenOver", { timeout: 30_000, description: "sn0 taken over" });
    timeline = await EndpointTimeline.start(h.ns, "sn0", "ps-s0");
    // The default spec runs two proxies (the autoscaler's minReplicas): wait for both, so none appears mid-test.
    await waitFor(async () => timeline.now.proxies === 2 && timeline.now.app === 0, { timeout: 60_000, description: "sn0 lists only the two proxies" });
  });
  afterAll(() => timeline?.stop());

  it("falls back within the bound when every proxy turns unready, tells it, and takes over again without a gap, twice", async () => {
    for (const outage of [1, 2]) {
      const start = Date.now();
      for (const pod of await proxyPods(h.ns)) await mergePatch("v1", "Pod", h.ns, pod.metadata.name, { metadata: { annotations: { [UNREADY]: "true" } } });
      const fellBack = await waitReason(h.ns, "ps-s0", "FellBack", 30_000);
      expect(fellBack.status?.conditions?.find((c) => c.type === "Ready")?.message).toContain("not Ready");
      expect(takeoverState(fellBack)).toBe("FellBack");
      await waitFor(async () => timeline.now.app > 0 && timeline.now.proxies === 0, { timeout: 30_000, description: "sn0 lists the application's pods" });
      const gap = timeline.fallbackGap(start);
      console.log(`outage ${outage}: unready proxy -> application listed after ${gap} ms\n${timeline.describe(start)}`);
      expect(gap, timeline.describe(start)).toBeDefined();
      expect(gap!).toBeLessThanOrEqual(UNPLANNED_GAP_BOUND_MS);
      // Each outage is told, the second one too (the event recorder's de-duplication must not swallow it).
      await waitFor(async () => (await warningEvents(h.ns, "FellBack")) >= outage, { timeout: 10_000, description: `${outage} FellBack Warning event(s)` });

      const recovery = Date.now();
      for (const pod of await proxyPods(h.ns)) await mergePatch("v1", "Pod", h.ns, pod.metadata.name, { metadata: { annotations: { [UNREADY]: null } } });
      const back = await waitReady(h.ns, "ps-s0", 60_000);
      expect(takeoverState(back)).toBe("TakenOver");
      await waitFor(async () => timeline.now.proxies > 0 && timeline.now.app === 0, { timeout: 30_000, description: "sn0 lists only the proxy again" });
      // Taking over again is planned: make-before-break, never a moment without a serving endpoint.
      expect(timeline.fewestServing(recovery), timeline.describe(recovery)).toBeGreaterThan(0);
      // The hold: the proxy was Ready for a few seconds before the Service went back to it.
      expect(Date.now() - recovery).toBeGreaterThanOrEqual(4_000);
    }
  });

  it("falls back when the proxy is deleted and its replacement cannot be scheduled, naming why, and takes over once it runs", async () => {
    await setNodesUnschedulable(true);
    try {
      const start = Date.now();
      for (const pod of await proxyPods(h.ns)) await remove("v1", "Pod", h.ns, pod.metadata.name);
      const fellBack = await waitFor(
        async () => {
          const ps = await getPs(h.ns, "ps-s0");
          const ready = ps?.status?.conditions?.find((c) => c.type === "Ready");
          return ready?.reason === "FellBack" && /Unschedulable/.test(ready.message) ? ps : undefined;
        },
        { timeout: 30_000, description: "FellBack naming the unschedulable pod" },
      );
      expect(fellBack).toBeDefined();
      await waitFor(async () => timeline.now.app > 0, { timeout: 30_000, description: "sn0 lists the application's pods" });
      const gap = timeline.fallbackGap(start);
      console.log(`deleted proxy, no room: application listed after ${gap} ms\n${timeline.describe(start)}`);
      expect(gap!).toBeLessThanOrEqual(UNPLANNED_GAP_BOUND_MS);
    } finally {
      await setNodesUnschedulable(false);
    }
    const recovery = Date.now();
    await waitReady(h.ns, "ps-s0", 60_000);
    await waitFor(async () => timeline.now.proxies > 0 && timeline.now.app === 0, { timeout: 30_000, description: "sn0 lists only the proxy again" });
    expect(timeline.fewestServing(recovery)).toBeGreaterThan(0);
  });

  it("a spec change that rolls the proxies never leaves the Service without a serving endpoint, nor falls back", async () => {
    const start = Date.now();
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { resources: { requests: { cpu: "150m" } } } });
    await waitFor(
      async () => {
        const ps = await getPs(h.ns, "ps-s0");
        const rolledOut = ps?.status?.conditions?.find((c) => c.type === "ProxiesRolledOut");
        return rolledOut?.status === "True" && ps?.status?.observedGeneration === ps?.metadata.generation && (await proxyPods(h.ns)).length === 2;
      },
      { timeout: 60_000, description: "the proxies rolled out" },
    );
    await waitFor(async () => timeline.now.proxies > 0, { timeout: 30_000, description: "the new proxy listed" });
    console.log(`rollout:\n${timeline.describe(start)}`);
    expect(timeline.fewestServing(start), timeline.describe(start)).toBeGreaterThan(0);
    expect(timeline.moments.filter((m) => m.at >= start).every((m) => m.app === 0), "fell back during a rollout").toBe(true);
  });
});
