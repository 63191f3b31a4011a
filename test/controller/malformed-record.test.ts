import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Registry } from "prom-client";
import { Reasons } from "../../src/api/conditions.js";
import { withDefaults } from "../../src/api/defaults.js";
import { Annotations } from "../../src/api/takeover.js";
import type { ProxyService } from "../../src/api/types.js";
import { FakeClock } from "../support/fake-clock.js";
import { cleanup } from "../../src/controller/cleanup.js";
import { ConditionMetrics } from "../../src/controller/condition-metrics.js";
import { FINALIZER } from "../../src/api/names.js";
import { observe } from "../../src/controller/observe.js";
import { ownersOf } from "../../src/controller/owner-mapping.js";
import { planFor } from "../../src/controller/plan.js";
import type { reconcile } from "../../src/controller/reconcile.js";
import { RevertTracker } from "../../src/controller/reverts.js";
import { Store } from "../../src/runtime/store.js";
import type { KubeObject } from "../../src/kube/object.js";
import { FakeCluster } from "./fake-cluster.js";
import { NS, flatPredictor, freshMemory, proxyService, service } from "./fixtures.js";

// A takeover record annotation that is not a record (hand-edited, truncated) is decoded once, in observe, and each
// consumer handles the decoded value (issue 18): reconcile refuses the takeover, cleanup reports why it cannot
// restore and waits for a hand fix, the owner mapping still finds the ProxyServices. (`proxy-service restore`:
// test/cli/restore.test.ts.)

const MALFORMED = "{not json";

function world(): { cluster: FakeCluster; ctx: Parameters<typeof reconcile>[1] } {
  const clock = new FakeClock(0);
  const cluster = new FakeCluster(() => clock.now());
  const ctx = { caches: cluster.caches, client: cluster, events: cluster.eventPublisher, reverts: new RevertTracker(), ...freshMemory(), clock, log: pino({ level: "silent" }), predict: flatPredictor, conditionMetrics: new ConditionMetrics(new Registry()) };
  return { cluster, ctx };
}

const psOf = (cluster: FakeCluster): (ProxyService & KubeObject) | undefined =>
  cluster.find("msvcbench.io/v1alpha1", "ProxyService", NS, "ps-s0") as (ProxyService & KubeObject) | undefined;

const sn0WithMalformedRecord = (): KubeObject => service("sn0", { app: "s0" }, { annotations: { [Annotations.takeover]: MALFORMED } });

describe("a malformed takeover record", () => {
  it("reconcile: observe keeps it as an error, and the plan refuses the takeover (terminal), touching nothing", () => {
    const { cluster, ctx } = world();
    cluster.applyAs("kubectl", sn0WithMalformedRecord(), false);
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS } }, false);
    cluster.sync();
    const observed = observe(psOf(cluster)!, ctx.caches, { reverts: ctx.reverts, fallbacks: ctx.fallbacks, now: 0 });
    expect(observed.record).toBeUndefined();
    expect(observed.recordError).toMatch(/not JSON/);
    const plan = planFor(withDefaults(psOf(cluster)!), observed);
    expect(plan.applies).toEqual([]);
    expect(plan.ready).toMatchObject({ status: "False", reason: Reasons.TakeoverRefused });
    expect(plan.ready.message).toContain('Service "sn0"');
    expect(plan.next).toMatchObject({ kind: "terminal", reason: Reasons.TakeoverRefused });
  });

  it("cleanup: reports RestoreRefused in status and a Warning, keeps the finalizer and the Service, and goes on once fixed by hand", async () => {
    const { cluster, ctx } = world();
    cluster.applyAs("kubectl", sn0WithMalformedRecord(), false);
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS, finalizers: [FINALIZER] } }, false);
    cluster.deleteObject(psOf(cluster)!);
    cluster.sync();
    const sn0Before = cluster.find("v1", "Service", NS, "sn0");

    const outcome = await cleanup(psOf(cluster)!, ctx);
    expect(outcome).toMatchObject({ kind: "terminal", reason: Reasons.RestoreRefused });
    const ps = psOf(cluster);
    expect(ps?.metadata.finalizers).toEqual([FINALIZER]);
    const ready = ps?.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: Reasons.RestoreRefused });
    expect(ready?.message).toContain('Service "sn0"');
    expect(ready?.message).toContain(Annotations.takeover);
    expect(cluster.events.at(-1)).toMatchObject({ type: "Warning", reason: Reasons.RestoreRefused });
    expect(cluster.find("v1", "Service", NS, "sn0")).toEqual(sn0Before);

    // A second pass on the same state writes nothing more (the status and event are already there).
    cluster.sync();
    const writes = cluster.writes;
    await cleanup(psOf(cluster)!, ctx);
    expect(cluster.writes).toBe(writes);

    // The user puts the Service right by hand and drops the annotation: the deletion finishes.
    cluster.edit("v1", "Service", NS, "sn0", (o) => void delete o.metadata.annotations);
    cluster.sync();
    expect(await cleanup(psOf(cluster)!, ctx)).toEqual({ kind: "done" });
    expect(psOf(cluster)).toBeUndefined();
  });

  it("owner mapping: a Service carrying one still leads to the ProxyServices naming it", () => {
    const proxyServices = new Store<ProxyService & KubeObject>();
    proxyServices.apply(proxyService());
    expect(ownersOf(sn0WithMalformedRecord(), proxyServices)).toEqual([`${NS}/ps-s0`]);
  });
});
