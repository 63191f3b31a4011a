import { describe, expect, it } from "vitest";
import type { V1Service } from "@kubernetes/client-node";
import { Reasons } from "../../src/api/conditions.js";
import { withDefaults } from "../../src/api/defaults.js";
import { Annotations, decodeTakeoverRecord } from "../../src/api/takeover.js";
import type { ProxyService } from "../../src/api/types.js";
import { ownedKey, type Observed } from "../../src/controller/observe.js";
import { planFor, type Plan } from "../../src/controller/plan.js";
import { MAX_REVERTS, REVERT_WINDOW_MS, RevertTracker } from "../../src/controller/reverts.js";
import type { KubeObject } from "../../src/kube/object.js";
import { NS, observed, proxyPod, proxyService } from "./fixtures.js";

/** What observe returns with one serving proxy pod (these defects are all about a Service that is taken over). */
const observedWithProxy = (partial: Parameters<typeof observed>[0] = {}): ReturnType<typeof observed> => observed({ proxyPods: [proxyPod("Ready")], ...partial });

// The defects of the restore-promise review (issue 10, part 1), each reproduced with the pure plan.

/** sn0 of the review: selector app: s0, port 80 whose targetPort is the named port "http". */
const sn0: V1Service & KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "sn0", namespace: NS, resourceVersion: "1" },
  spec: { type: "ClusterIP", clusterIP: "10.0.0.10", selector: { app: "s0" }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }] },
};

/** What the API server holds after a plan's applies went through (owned objects as applied, the Deployment Ready). */
function cacheAfter(plan: Plan, owned = new Map<string, KubeObject>()): Map<string, KubeObject> {
  const next = new Map(owned);
  for (const { object } of plan.applies) {
    if (object.kind === "Service" && object.metadata.ownerReferences === undefined) continue; // the user's sn0
    next.set(ownedKey(object.kind, object.metadata.name), object);
  }
  const key = ownedKey("Deployment", "ps-s0");
  const dep = next.get(key);
  if (dep) next.set(key, { ...dep, status: { readyReplicas: 1 } });
  return next;
}

/** sn0 after the plan's takeover apply: selector, ports and record annotation as applied. */
function takenOver(plan: Plan, service: V1Service & KubeObject): V1Service & KubeObject {
  const apply = plan.applies.find((a) => a.object.kind === "Service" && a.object.metadata.name === "sn0");
  if (apply === undefined) throw new Error("the plan does not take sn0 over");
  const o = apply.object as V1Service & KubeObject;
  return {
    ...service,
    metadata: { ...service.metadata, annotations: { ...service.metadata.annotations, ...o.metadata.annotations } },
    spec: { ...service.spec, selector: o.spec?.selector, ports: o.spec?.ports },
  };
}

/** Runs plans until sn0 is taken over; returns sn0 and the owned cache. */
function takeOver(ps: ProxyService & KubeObject, service = sn0, extra: Partial<Observed> = {}): { service: V1Service & KubeObject; owned: Map<string, KubeObject> } {
  const first = planFor(withDefaults(ps), observedWithProxy({ service, ...extra }));
  const owned = cacheAfter(first);
  const second = planFor(withDefaults(ps), observedWithProxy({ service, owned, ...extra }));
  return { service: takenOver(second, service), owned: cacheAfter(second, owned) };
}

const recordOf = (plan: Plan): ReturnType<typeof decodeTakeoverRecord> | undefined => {
  const text = plan.applies.find((a) => a.object.metadata.name === "sn0")?.object.metadata.annotations?.[Annotations.takeover];
  return text === undefined ? undefined : decodeTakeoverRecord(text);
};

describe("restore promise: the review's defects", () => {
  it("1. keeps the recorded targetPort when only the selector is put back (restore stays exact)", () => {
    const ps = proxyService();
    const { service, owned } = takeOver(ps);
    expect(service.spec?.ports?.[0]?.targetPort).toBe(80); // the proxies listen on the Service's port
    const selectorReverted = { ...service, spec: { ...service.spec, selector: { app: "s0" } } };
    const plan = planFor(withDefaults(ps), observedWithProxy({ service: selectorReverted, owned, selectorManagers: ["kubectl-patch"] }));
    expect(recordOf(plan)?.ports).toEqual([{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }]);
    expect(recordOf(plan)?.selector).toEqual({ app: "s0" });
  });

  it("1b. takes a new original from the live Service when the user put selector and ports back", () => {
    const ps = proxyService();
    const { service, owned } = takeOver(ps);
    const reverted = {
      ...service,
      spec: { ...service.spec, selector: { app: "s1" }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "web" }] },
    };
    const plan = planFor(withDefaults(ps), observedWithProxy({ service: reverted, owned, selectorManagers: ["argocd"] }));
    expect(recordOf(plan)).toMatchObject({ selector: { app: "s1" }, ports: [{ port: 80, targetPort: "web" }] });
  });

  it("2. deletes the callers' DestinationRule when callerTls goes back to DISABLE", () => {
    const mutual = proxyService({ callerTls: { mode: "ISTIO_MUTUAL" } });
    const { service, owned } = takeOver(mutual);
    expect(owned.has(ownedKey("DestinationRule", "ps-s0-callers"))).toBe(true);
    const plain = proxyService({ callerTls: { mode: "DISABLE" } });
    const plan = planFor(withDefaults(plain), observedWithProxy({ service, owned }));
    expect(plan.deletes.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["DestinationRule/ps-s0-callers"]);
  });

  it("2b. deletes the operator-made target when spec.target moves to a Service the user made", () => {
    const ps = proxyService();
    const { service, owned } = takeOver(ps);
    expect(owned.has(ownedKey("Service", "sn0-ep"))).toBe(true);
    const userTarget: V1Service & KubeObject = { ...sn0, metadata: { name: "app-pods", namespace: NS, resourceVersion: "5" } };
    const plan = planFor(withDefaults(proxyService({ target: "app-pods" })), observedWithProxy({ service, target: userTarget, owned }));
    expect(plan.deletes.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["Service/sn0-ep"]);
  });

  it("3. a new generation of the ProxyService retries the takeover after the operator gave up", () => {
    const tracker = new RevertTracker();
    const key = `${NS}/ps-s0`;
    for (let i = 0; i < MAX_REVERTS; i++) tracker.record(key, 1, `v${i}`, 1000 + i);
    expect(tracker.history(key, 1, undefined, 2000).times.length).toBe(MAX_REVERTS);
    expect(tracker.history(key, 2, undefined, 2000).times.length).toBe(0);
  });

  it("3b. gives up with a requeue at the moment the revert window ends", () => {
    const ps = proxyService();
    const { service, owned } = takeOver(ps);
    const reverted = { ...service, spec: { ...service.spec, selector: { app: "s0" } } };
    const tracker = new RevertTracker();
    const key = `${NS}/ps-s0`;
    for (let i = 0; i < MAX_REVERTS - 1; i++) tracker.record(key, 1, `v${i}`, 10_000 + i * 1000);
    const now = 20_000;
    const plan = planFor(withDefaults(ps), observedWithProxy({ service: reverted, owned, selectorManagers: ["argocd"], reverts: tracker.history(key, 1, undefined, now) }));
    expect(plan.ready.reason).toBe(Reasons.TakeoverReverted);
    // The oldest revert of the window leaves it at 10 000 + window: the count drops below the limit then.
    expect(plan.next).toEqual({ kind: "requeueAfter", ms: 10_000 + REVERT_WINDOW_MS - now, reason: Reasons.TakeoverReverted });
  });

  it("4. sees no drift in a Deployment whose quantities the API server canonicalised", () => {
    const ps = proxyService({ resources: { requests: { cpu: "0.5", memory: "1024Mi" }, limits: { cpu: "1000m", memory: "1.5Gi" } } });
    const { service, owned } = takeOver(ps);
    const key = ownedKey("Deployment", "ps-s0");
    const dep = structuredClone(owned.get(key)!) as KubeObject & { spec: { template: { spec: { containers: { resources: unknown }[] } } } };
    dep.spec.template.spec.containers[0]!.resources = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1536Mi" } };
    owned.set(key, dep);
    const plan = planFor(withDefaults(ps), observedWithProxy({ service, owned }));
    expect(plan.applies.map((a) => `${a.object.kind}/${a.object.metadata.name}`)).toEqual([]);
  });
});

describe("drift the subset check cannot see", () => {
  it("applies an owned object again when the render stopped setting one of its fields (an operator upgrade)", () => {
    const ps = proxyService();
    const { service, owned } = takeOver(ps);
    const key = ownedKey("Deployment", "ps-s0");
    // What an older operator left: one more field, and the hash of its own render.
    const older = structuredClone(owned.get(key)!) as KubeObject & { spec: { template: { spec: { securityContext: Record<string, unknown> } } } };
    older.spec.template.spec.securityContext.runAsUser = 1337;
    older.metadata.annotations = { ...older.metadata.annotations, "proxyservice.msvcbench.io/render-hash": "0000000000000000" };
    owned.set(key, older);
    const plan = planFor(withDefaults(ps), observedWithProxy({ service, owned }));
    expect(plan.applies.map((a) => `${a.object.kind}/${a.object.metadata.name}`)).toEqual(["Deployment/ps-s0"]);
    // and once applied (the hash matches), nothing more
    owned.set(key, { ...plan.applies[0]!.object, status: { readyReplicas: 1 } });
    expect(planFor(withDefaults(ps), observedWithProxy({ service, owned })).applies).toEqual([]);
  });
});
