import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Registry } from "prom-client";
import { FakeClock } from "../support/fake-clock.js";
import { ConditionMetrics } from "../../src/controller/condition-metrics.js";
import { cleanup } from "../../src/controller/cleanup.js";
import { FINALIZER } from "../../src/api/names.js";
import { addFinalizer, removeFinalizer } from "../../src/controller/finalizer.js";
import { reconcile } from "../../src/controller/reconcile.js";
import { reportStatus } from "../../src/controller/report-status.js";
import { RevertTracker } from "../../src/controller/reverts.js";
import type { ProxyService } from "../../src/api/types.js";
import type { KubeObject } from "../../src/kube/object.js";
import { FakeCluster } from "./fake-cluster.js";
import { NS, flatPredictor, freshMemory, proxyService, service } from "./fixtures.js";

// Orchestration with a fake client, beside the integration tests: the finalizer helpers, the cleanup half and
// the status report.

function world(): { cluster: FakeCluster; ctx: Parameters<typeof reconcile>[1] } {
  const clock = new FakeClock(0);
  const cluster = new FakeCluster(() => clock.now());
  const ctx = { caches: cluster.caches, client: cluster, events: cluster.eventPublisher, reverts: new RevertTracker(), ...freshMemory(), clock, log: pino({ level: "silent" }), predict: flatPredictor, conditionMetrics: new ConditionMetrics(new Registry()) };
  return { cluster, ctx };
}

const psOf = (cluster: FakeCluster): (ProxyService & KubeObject) | undefined =>
  cluster.find("msvcbench.io/v1alpha1", "ProxyService", NS, "ps-s0") as (ProxyService & KubeObject) | undefined;

describe("finalizer helpers", () => {
  it("never create the ProxyService they finalize: removing from one that is gone is done, adding is a 404", async () => {
    const { cluster } = world();
    const gone = { ...proxyService(), metadata: { ...proxyService().metadata, finalizers: [FINALIZER] } };
    await expect(removeFinalizer(cluster, gone)).resolves.toBeUndefined();
    await expect(addFinalizer(cluster, proxyService())).rejects.toMatchObject({ status: 404 });
    expect(cluster.list()).toEqual([]);
  });

  it("keep another controller's finalizer, and refuse a stale view of the list", async () => {
    const { cluster } = world();
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS, finalizers: ["example.com/other"] } }, false);
    await addFinalizer(cluster, psOf(cluster)!);
    expect(psOf(cluster)?.metadata.finalizers).toEqual(["example.com/other", FINALIZER]);
    const stale = psOf(cluster)!;
    cluster.edit("msvcbench.io/v1alpha1", "ProxyService", NS, "ps-s0", (o) => void (o.metadata.finalizers = [FINALIZER]));
    await expect(removeFinalizer(cluster, stale)).rejects.toMatchObject({ status: 422 });
    await removeFinalizer(cluster, psOf(cluster)!);
    expect(psOf(cluster)?.metadata.finalizers).toEqual([]);
  });
});

describe("cleanup", () => {
  it("restores sn0 from a live read, deletes what it owns, then releases the ProxyService", async () => {
    const { cluster, ctx } = world();
    cluster.applyAs("kubectl", service("sn0", { app: "s0" }), false);
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS } }, false);
    for (let i = 0; i < 3; i++) {
      cluster.sync();
      cluster.setProxiesReady(1);
      cluster.sync();
      await reconcile(`${NS}/ps-s0`, ctx);
    }
    expect(cluster.find("v1", "Service", NS, "sn0")?.spec?.selector).not.toEqual({ app: "s0" });
    cluster.deleteObject(psOf(cluster)!);
    cluster.sync();
    await cleanup(psOf(cluster)!, ctx);
    expect(cluster.find("v1", "Service", NS, "sn0")?.spec?.selector).toEqual({ app: "s0" });
    expect(psOf(cluster)).toBeUndefined();
    expect(cluster.list().filter((o) => o.metadata.ownerReferences !== undefined)).toEqual([]);
    expect(cluster.events.map((e) => e.reason)).toContain("ServiceRestored");
  });
});

describe("reportStatus", () => {
  it("writes status only when it changed, and tells a Ready change as an event (Warning for a problem, Normal while waiting for a proxy)", async () => {
    const { cluster, ctx } = world();
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS } }, false);
    const plan = (reason: "ProxyNotAvailable" | "SpecInvalid") => ({
      applies: [],
      deletes: [],
      ready: { status: "False" as const, reason, message: `because ${reason}` },
      status: { target: "sn0-ep" },
      next: { kind: "done" as const },
    });
    await reportStatus(psOf(cluster)!, plan("ProxyNotAvailable"), [], ctx);
    expect(cluster.writes).toBe(1);
    expect(cluster.events.at(-1)).toMatchObject({ type: "Normal", reason: "ProxyNotAvailable" });
    await reportStatus(psOf(cluster)!, plan("ProxyNotAvailable"), [], ctx);
    expect(cluster.writes).toBe(1); // nothing changed: no write, no event
    expect(cluster.events).toHaveLength(1);
    await reportStatus(psOf(cluster)!, plan("SpecInvalid"), [], ctx);
    expect(cluster.writes).toBe(2);
    expect(cluster.events.at(-1)).toMatchObject({ type: "Warning", reason: "SpecInvalid", note: "because SpecInvalid" });
    expect(psOf(cluster)?.status?.conditions?.[0]).toMatchObject({ type: "Ready", status: "False", reason: "SpecInvalid", observedGeneration: 1 });
  });

  it("sets the advisories beside Ready, warns once when one becomes a problem, tells its recovery, and drops one advise no longer gives", async () => {
    const { cluster, ctx } = world();
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS } }, false);
    const plan = { applies: [], deletes: [], ready: { status: "True" as const, reason: "Ready" as const, message: "ok" }, status: { target: "sn0-ep" }, next: { kind: "done" as const } };
    const globalView = (status: "True" | "False", reason: "GainKept" | "TooManyProxies", message: string) => ({ type: "GlobalView" as const, status, reason, message, observedGeneration: 1 });
    const conditions = () => (psOf(cluster)?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);

    await reportStatus(psOf(cluster)!, plan, [globalView("True", "GainKept", "1 proxy")], ctx);
    expect(conditions()).toEqual(["Ready=True/Ready", "GlobalView=True/GainKept"]);
    expect(cluster.events.map((e) => `${e.type}/${e.reason}`)).toEqual(["Normal/Ready"]); // a healthy advisory is no news

    await reportStatus(psOf(cluster)!, plan, [globalView("False", "TooManyProxies", "8 proxies")], ctx);
    await reportStatus(psOf(cluster)!, plan, [globalView("False", "TooManyProxies", "9 proxies")], ctx);
    expect(conditions()).toEqual(["Ready=True/Ready", "GlobalView=False/TooManyProxies"]);
    expect(cluster.events.slice(1)).toEqual([expect.objectContaining({ type: "Warning", reason: "TooManyProxies", note: "8 proxies" })]); // once, not per message

    await reportStatus(psOf(cluster)!, plan, [globalView("True", "GainKept", "2 proxies")], ctx);
    expect(cluster.events.at(-1)).toMatchObject({ type: "Normal", reason: "GainKept", note: "2 proxies" });

    const writes = cluster.writes;
    await reportStatus(psOf(cluster)!, plan, [], ctx);
    expect(conditions()).toEqual(["Ready=True/Ready"]);
    expect(cluster.writes).toBe(writes + 1);
  });
});
