import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { Condition } from "../../src/api/types.js";
import { FakeClock } from "../support/fake-clock.js";
import { ConditionMetrics, STATUS_CONDITION_METRIC } from "../../src/controller/condition-metrics.js";
import { reconcile } from "../../src/controller/reconcile.js";
import { reportStatus } from "../../src/controller/report-status.js";
import { RevertTracker } from "../../src/controller/reverts.js";
import type { ProxyService } from "../../src/api/types.js";
import type { KubeObject } from "../../src/kube/object.js";
import { FakeCluster } from "./fake-cluster.js";
import { NS, flatPredictor, freshMemory, proxyService } from "./fixtures.js";

// The status_condition gauge as Prometheus scrapes it: the exposition text of the registry, not the class's state.

/** The gauge's series in the exposition text, as `labels value` lines, sorted. */
async function series(registry: Registry): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${STATUS_CONDITION_METRIC}{`))
    .map((l) => l.slice(STATUS_CONDITION_METRIC.length))
    .sort();
}

const condition = (type: string, status: Condition["status"], reason: string): Condition => ({
  type,
  status,
  reason,
  message: "m",
  lastTransitionTime: "2026-01-01T00:00:00Z",
  observedGeneration: 1,
});

describe("ConditionMetrics", () => {
  it("exposes one series of value 1 per condition, labelled with namespace, proxyservice, type, status and reason", async () => {
    const registry = new Registry();
    const metrics = new ConditionMetrics(registry);
    expect(await series(registry)).toEqual([]); // nothing before the leader reports
    metrics.report("shop/ps-s0", [condition("Ready", "False", "TargetServiceMissing"), condition("GlobalView", "Unknown", "GainKept")]);
    expect(await series(registry)).toEqual([
      '{namespace="shop",proxyservice="ps-s0",type="GlobalView",status="Unknown",reason="GainKept"} 1',
      '{namespace="shop",proxyservice="ps-s0",type="Ready",status="False",reason="TargetServiceMissing"} 1',
    ]);
  });

  it("replaces the series of an old status or reason, drops a condition that went, and keeps other ProxyServices' series", async () => {
    const registry = new Registry();
    const metrics = new ConditionMetrics(registry);
    metrics.report("shop/ps-s0", [condition("Ready", "False", "ProxyNotAvailable"), condition("GlobalView", "False", "TooManyProxies")]);
    metrics.report("shop/ps-s1", [condition("Ready", "False", "SpecInvalid")]);
    metrics.report("shop/ps-s0", [condition("Ready", "True", "Ready")]);
    expect(await series(registry)).toEqual([
      '{namespace="shop",proxyservice="ps-s0",type="Ready",status="True",reason="Ready"} 1',
      '{namespace="shop",proxyservice="ps-s1",type="Ready",status="False",reason="SpecInvalid"} 1',
    ]);
    metrics.forget("shop/ps-s0");
    expect(await series(registry)).toEqual(['{namespace="shop",proxyservice="ps-s1",type="Ready",status="False",reason="SpecInvalid"} 1']);
    metrics.clear();
    expect(await series(registry)).toEqual([]);
  });
});

describe("reportStatus and reconcile feed the gauge", () => {
  function world(registry: Registry, cluster?: FakeCluster): { cluster: FakeCluster; ctx: Parameters<typeof reconcile>[1] } {
    const clock = new FakeClock(0);
    const c = cluster ?? new FakeCluster(() => clock.now());
    const ctx = {
      caches: c.caches,
      client: c,
      events: c.eventPublisher,
      reverts: new RevertTracker(),
      ...freshMemory(),
      clock,
      log: pino({ level: "silent" }),
      predict: flatPredictor,
      conditionMetrics: new ConditionMetrics(registry),
    };
    return { cluster: c, ctx };
  }
  const psOf = (cluster: FakeCluster): ProxyService & KubeObject =>
    cluster.find("msvcbench.io/v1alpha1", "ProxyService", NS, "ps-s0") as ProxyService & KubeObject;
  const plan = { applies: [], deletes: [], ready: { status: "False" as const, reason: "SpecInvalid" as const, message: "bad port" }, status: {}, next: { kind: "done" as const } };
  const expected = [`{namespace="${NS}",proxyservice="ps-s0",type="Ready",status="False",reason="SpecInvalid"} 1`];

  it("a restarted operator exposes the stored conditions although it writes nothing", async () => {
    const first = new Registry();
    const { cluster, ctx } = world(first);
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS } }, false);
    await reportStatus(psOf(cluster), plan, [], ctx);
    expect(cluster.writes).toBe(1);
    expect(await series(first)).toEqual(expected);

    const restarted = new Registry(); // a new process: an empty registry, the same cluster
    const again = world(restarted, cluster);
    await reportStatus(psOf(cluster), plan, [], again.ctx);
    expect(cluster.writes).toBe(1); // the status was already right: no write
    expect(await series(restarted)).toEqual(expected);
  });

  it("removes every series of a ProxyService once it is gone from the cache", async () => {
    const registry = new Registry();
    const { cluster, ctx } = world(registry);
    cluster.applyAs("kubectl", { ...proxyService(), metadata: { name: "ps-s0", namespace: NS } }, false);
    await reportStatus(psOf(cluster), plan, [], ctx);
    expect(await series(registry)).toEqual(expected);
    cluster.deleteObject(psOf(cluster));
    cluster.sync();
    await reconcile(`${NS}/ps-s0`, ctx);
    expect(await series(registry)).toEqual([]);
  });
});
