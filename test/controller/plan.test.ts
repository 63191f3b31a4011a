import { describe, expect, it } from "vitest";
import { Reasons } from "../../src/api/conditions.js";
import { withDefaults } from "../../src/api/defaults.js";
import { Annotations } from "../../src/api/takeover.js";
import { ownedKey } from "../../src/controller/observe.js";
import { planFor, type Plan } from "../../src/controller/plan.js";
import { MAX_REVERTS } from "../../src/controller/reverts.js";
import type { KubeObject } from "../../src/kube/object.js";
import { NS, observed, proxyPod, proxyService, service } from "./fixtures.js";

const app = service("sn0", { app: "s0" });
const serving = [proxyPod("Ready")];
const kinds = (plan: Plan): string[] => plan.applies.map((a) => `${a.object.kind}/${a.object.metadata.name}`);

/** The cache after a plan's applies went through, with a Ready proxy Deployment. */
function afterApplying(plan: Plan, readyReplicas: number): Map<string, KubeObject> {
  const owned = new Map<string, KubeObject>();
  for (const { object } of plan.applies) owned.set(ownedKey(object.kind, object.metadata.name), object);
  const dep = owned.get(ownedKey("Deployment", "ps-s0"));
  if (dep) owned.set(ownedKey("Deployment", "ps-s0"), { ...dep, status: { readyReplicas } });
  return owned;
}

describe("planFor", () => {
  it("applies the proxies but does not take the Service over before a proxy pod is Ready", () => {
    const plan = planFor(withDefaults(proxyService()), observed({ service: app }));
    expect(kinds(plan)).toContain("Deployment/ps-s0");
    expect(kinds(plan)).toContain("Service/sn0-ep");
    expect(kinds(plan)).not.toContain("Service/sn0");
    expect(plan.ready.reason).toBe(Reasons.ProxyNotAvailable);
    expect(plan.next.kind).toBe("waiting");
  });

  it("takes the user's Service over with force once a proxy pod is Ready, recording the original", () => {
    const first = planFor(withDefaults(proxyService()), observed({ service: app }));
    const plan = planFor(withDefaults(proxyService()), observed({ service: app, owned: afterApplying(first, 1), proxyPods: serving }));
    const takeover = plan.applies.find((a) => a.object.metadata.name === "sn0");
    expect(takeover?.force).toBe(true);
    expect(takeover?.object.metadata.annotations?.[Annotations.takeover]).toContain('"app":"s0"');
    expect(plan.applies.every((a) => a.object.metadata.name === "sn0")).toBe(true); // the rest is unchanged: no writes
    expect(plan.ready.status).toBe("True");
  });

  it("writes the user's Service only under the uid the cache saw, taking it over and falling back (never creating it anew)", () => {
    const users = service("sn0", { app: "s0" }, { uid: "uid-of-sn0" });
    const first = planFor(withDefaults(proxyService()), observed({ service: users }));
    const owned = afterApplying(first, 1);
    const plan = planFor(withDefaults(proxyService()), observed({ service: users, owned, proxyPods: serving }));
    const takeover = plan.applies.find((a) => a.object.metadata.name === "sn0")!;
    expect(takeover.uid).toBe("uid-of-sn0");
    // The proxies' own objects carry none: a missing one is to be created.
    expect(plan.applies.filter((a) => a.object.metadata.name !== "sn0").every((a) => a.uid === undefined)).toBe(true);

    const takenOver = { ...users, ...takeover.object, metadata: { ...users.metadata, ...takeover.object.metadata }, spec: { ...users.spec, ...(takeover.object.spec as object) } };
    const fallback = planFor(withDefaults(proxyService()), observed({ service: takenOver as typeof users, owned, proxyPods: [proxyPod("NotReady")] }));
    expect(fallback.ready.reason).toBe(Reasons.FellBack);
    const write = fallback.applies.find((a) => a.object.metadata.name === "sn0")!;
    expect(write.object.spec).toMatchObject({ selector: { app: "s0" } });
    expect(write.uid).toBe("uid-of-sn0");
  });

  it("writes nothing when everything already matches", () => {
    const first = planFor(withDefaults(proxyService()), observed({ service: app }));
    const owned = afterApplying(first, 1);
    const second = planFor(withDefaults(proxyService()), observed({ service: app, owned, proxyPods: serving }));
    const takenOver = { ...app, ...second.applies[0]!.object, spec: { ...app.spec, ...(second.applies[0]!.object.spec as object) } };
    const third = planFor(withDefaults(proxyService()), observed({ service: takenOver as typeof app, owned, proxyPods: serving }));
    expect(third.applies).toEqual([]);
    expect(third.deletes).toEqual([]);
  });

  it("touches nothing when another ProxyService holds the claim", () => {
    const plan = planFor(withDefaults(proxyService({}, "ps-b")), observed({ service: app, claimedBy: "ps-s0" }));
    expect(plan.applies).toEqual([]);
    expect(plan.ready.reason).toBe(Reasons.ServiceClaimedByAnother);
    expect(plan.ready.message).toContain('"ps-s0"');
  });

  it("waits, touching nothing, while neither the Service nor the target exists", () => {
    const plan = planFor(withDefaults(proxyService()), observed());
    expect(plan.applies).toEqual([]);
    expect(plan.ready.reason).toBe(Reasons.TargetServiceMissing);
    expect(plan.next).toEqual({ kind: "waiting", reason: Reasons.TargetServiceMissing });
  });

  it("refuses a takeover that would break a port, changing nothing", () => {
    const udp = { ...app, spec: { ...app.spec, ports: [...app.spec!.ports!, { name: "dns", port: 53, protocol: "UDP" }] } };
    const plan = planFor(withDefaults(proxyService()), observed({ service: udp as typeof app }));
    expect(plan.applies).toEqual([]);
    expect(plan.ready.reason).toBe(Reasons.TakeoverRefused);
    // Terminal, as controller-runtime's TerminalError: counted as an error, not retried until the spec or a Service changes.
    expect(plan.next).toMatchObject({ kind: "terminal", reason: Reasons.TakeoverRefused });
  });

  it("reports a spec the Services do not fit as a terminal outcome, not as done", () => {
    const plan = planFor(withDefaults(proxyService({ port: 8080 })), observed({ service: app }));
    expect(plan.ready.reason).toBe(Reasons.SpecInvalid);
    expect(plan.next).toMatchObject({ kind: "terminal", reason: Reasons.SpecInvalid, message: plan.ready.message });
  });

  it("stops re-applying the takeover after repeated reverts and names the other field manager", () => {
    const first = planFor(withDefaults(proxyService()), observed({ service: app }));
    const owned = afterApplying(first, 1);
    const taken = planFor(withDefaults(proxyService()), observed({ service: app, owned, proxyPods: serving })).applies[0]!.object;
    // Someone put the original selector back but our record annotation stayed.
    const reverted = { ...app, metadata: { ...app.metadata, annotations: taken.metadata.annotations } };
    const fighting = planFor(withDefaults(proxyService()), observed({ service: reverted, owned, selectorManagers: ["argocd-controller"], proxyPods: serving }));
    expect(fighting.revertedBy).toBe("argocd-controller");
    expect(fighting.applies.some((a) => a.object.metadata.name === "sn0")).toBe(true);
    const givenUp = planFor(
      withDefaults(proxyService()),
      observed({ service: reverted, owned, selectorManagers: ["argocd-controller"], proxyPods: serving, reverts: { times: Array.from({ length: MAX_REVERTS - 1 }, (_, i) => i), now: 10 } }),
    );
    expect(givenUp.applies.some((a) => a.object.metadata.name === "sn0")).toBe(false);
    expect(givenUp.ready.reason).toBe(Reasons.TakeoverReverted);
    expect(givenUp.ready.message).toContain('"argocd-controller"');
  });

  it("creates spec.serviceName when the user deleted it and made the target (Sock-Shop)", () => {
    const target = service("carts-target", { name: "carts" });
    const ps = withDefaults(proxyService({ serviceName: "carts", target: "carts-target" }, "carts-proxy"));
    const first = planFor(ps, observed({ target }));
    expect(kinds(first)).not.toContain("Service/carts-target");
    const owned = new Map<string, KubeObject>();
    for (const { object } of first.applies) owned.set(ownedKey(object.kind, object.metadata.name), object);
    owned.set(ownedKey("Deployment", "carts-proxy"), { ...owned.get(ownedKey("Deployment", "carts-proxy"))!, status: { readyReplicas: 1 } });
    const plan = planFor(ps, observed({ target, owned, proxyPods: serving }));
    const created = plan.applies.find((a) => a.object.metadata.name === "carts");
    expect(created?.force).toBe(false);
    expect(created?.object.metadata.ownerReferences?.[0]?.name).toBe("carts-proxy");
    expect(created?.object.metadata.namespace).toBe(NS);
  });
});
