import { describe, expect, it } from "vitest";
import { Reasons } from "../../src/api/conditions.js";
import { withDefaults } from "../../src/api/defaults.js";
import { Annotations } from "../../src/api/takeover.js";
import {
  ENDPOINTS_GRACE_MS,
  FallbackTracker,
  FLAP_WINDOW_MS,
  MAX_HOLD_MS,
  STABLE_READY_MS,
  decideAvailability,
  holdTime,
  proxyView,
  serviceStateOf,
} from "../../src/controller/availability.js";
import { ownedKey } from "../../src/controller/observe.js";
import { planFor, type Plan } from "../../src/controller/plan.js";
import type { KubeObject } from "../../src/kube/object.js";
import { observed, proxyPod, proxyService, service } from "./fixtures.js";

const T0 = Date.parse("2026-12-03T12:00:00Z");
const app = service("sn0", { app: "s0" });

describe("decideAvailability", () => {
  const view = (serving: number, longestReadyMs = 0) => ({ serving, draining: 0, longestReadyMs, cause: serving ? "" : "no proxy pod exists" });

  it("waits for the first proxy without falling back when the Service was never taken over", () => {
    expect(decideAvailability("NotTakenOver", view(0), 0)).toEqual({ kind: "waitForFirstProxy" });
  });
  it("takes over at once the first time a proxy serves", () => {
    expect(decideAvailability("NotTakenOver", view(1), 0)).toEqual({ kind: "takeOver", again: false });
  });
  it("falls back when no proxy serves a taken-over Service, and says it is a transition", () => {
    expect(decideAvailability("TakenOver", view(0), 0)).toEqual({ kind: "fallBack", isNew: true });
    expect(decideAvailability("FellBack", view(0), 1)).toEqual({ kind: "fallBack", isNew: false });
  });
  it("holds a fallback until a proxy has been Ready for the hold time, then takes over again", () => {
    expect(decideAvailability("FellBack", view(1, 2_000), 1)).toEqual({ kind: "holdFallback", retryAfterMs: STABLE_READY_MS - 2_000, holdMs: STABLE_READY_MS });
    expect(decideAvailability("FellBack", view(1, STABLE_READY_MS), 1)).toEqual({ kind: "takeOver", again: true });
  });
  it("counts the fallback's own age too: pods Ready all along (the Service did not list them) wait out the hold", () => {
    expect(decideAvailability("FellBack", view(1, 60_000), 1, 30)).toEqual({ kind: "holdFallback", retryAfterMs: STABLE_READY_MS - 30, holdMs: STABLE_READY_MS });
    expect(decideAvailability("FellBack", view(1, 60_000), 1, STABLE_READY_MS)).toEqual({ kind: "takeOver", again: true });
    expect(decideAvailability("FellBack", view(1, 60_000), 1)).toEqual({ kind: "takeOver", again: true }); // a new leader did not see it
  });
  it("doubles the hold for each fallback within the window, up to the maximum", () => {
    expect(holdTime(0)).toBe(STABLE_READY_MS);
    expect(holdTime(1)).toBe(STABLE_READY_MS);
    expect(holdTime(2)).toBe(2 * STABLE_READY_MS);
    expect(holdTime(3)).toBe(4 * STABLE_READY_MS);
    expect(holdTime(100)).toBe(MAX_HOLD_MS);
    expect(decideAvailability("FellBack", view(1, STABLE_READY_MS), 3).kind).toBe("holdFallback");
  });
});

describe("proxyView", () => {
  it("counts a draining pod as not serving, so the switch happens while it still drains", () => {
    const v = proxyView([proxyPod("Terminating", "p1", T0)], T0 + 1000, undefined);
    expect(v.serving).toBe(0);
    expect(v.draining).toBe(1);
    expect(v.cause).toContain('pod "p1" is terminating');
  });
  it("takes the longest-Ready serving pod and names every other pod's cause", () => {
    const v = proxyView([proxyPod("Ready", "p1", T0), proxyPod("Ready", "p2", T0 + 3000), proxyPod("NotReady", "p3", T0)], T0 + 8000, undefined);
    expect(v.serving).toBe(2);
    expect(v.longestReadyMs).toBe(8000);
    expect(proxyView([proxyPod("NotReady", "p3", T0)], T0, 'Deployment "ps-s0" cannot create pods: exceeded quota').cause).toMatch(/exceeded quota; pod "p3" is Running but not Ready/);
  });
  it("says so when no pod exists", () => {
    expect(proxyView([], T0, undefined).cause).toBe("no proxy pod exists");
  });
  it("trusts Ready pods the taken-over Service does not list for ENDPOINTS_GRACE_MS after our write, then counts none as serving", () => {
    const pods = [proxyPod("Ready", "p1", T0)];
    const unlisted = { service: "sn0", ready: 0, writtenAt: T0 + 10_000 };
    const soon = proxyView(pods, T0 + 10_500, undefined, unlisted);
    expect(soon.serving).toBe(1);
    expect(soon.recheckAfterMs).toBe(ENDPOINTS_GRACE_MS - 500);
    const late = proxyView(pods, T0 + 10_000 + ENDPOINTS_GRACE_MS, undefined, unlisted);
    expect(late.serving).toBe(0);
    expect(late.recheckAfterMs).toBeUndefined();
    expect(late.cause).toBe('Service "sn0" lists no ready endpoint 2 s after the takeover although pod(s) "p1" are Ready (the EndpointSlice controller has not caught up), so callers would reach nothing');
    // Listed: nothing to add. Written at an unknown time: no grace.
    expect(proxyView(pods, T0 + 10_500, undefined, { ...unlisted, ready: 1 })).toEqual(proxyView(pods, T0 + 10_500, undefined));
    expect(proxyView(pods, T0, undefined, { ...unlisted, writtenAt: undefined }).serving).toBe(0);
  });
});

describe("serviceStateOf", () => {
  it("reads the state from the Service alone", () => {
    expect(serviceStateOf(undefined, true, false)).toBe("NotTakenOver");
    expect(serviceStateOf(app, false, true)).toBe("NotTakenOver");
    expect(serviceStateOf(app, true, true)).toBe("TakenOver");
    expect(serviceStateOf({ metadata: { annotations: { [Annotations.fellBack]: "true" } } }, true, false)).toBe("FellBack");
    expect(serviceStateOf(app, true, false)).toBe("NotTakenOver"); // given back or reverted: reverts.ts judges
  });
});

describe("FallbackTracker", () => {
  it("counts fallbacks within the flap window only", () => {
    const t = new FallbackTracker();
    t.record("ns/a", T0);
    t.record("ns/a", T0 + 1000);
    expect(t.recent("ns/a", T0 + 2000)).toBe(2);
    expect(t.sinceLast("ns/a", T0 + 2000)).toBe(1000);
    expect(t.sinceLast("ns/b", T0 + 2000)).toBe(Infinity);
    expect(t.recent("ns/a", T0 + FLAP_WINDOW_MS + 500)).toBe(1);
    t.forget("ns/a");
    expect(t.recent("ns/a", T0)).toBe(0);
  });
});

/** The cache after a plan's applies went through. */
function afterApplying(plan: Plan): Map<string, KubeObject> {
  const owned = new Map<string, KubeObject>();
  for (const { object } of plan.applies) if (object.metadata.name !== "sn0") owned.set(ownedKey(object.kind, object.metadata.name), object);
  return owned;
}

/** sn0 as the API server keeps it after `object` (a partial apply of ours) went through. */
function applied(live: KubeObject, object: KubeObject): KubeObject {
  const spec = { ...(live as { spec?: object }).spec, ...(object as { spec?: object }).spec };
  return { ...live, metadata: { ...live.metadata, annotations: { ...object.metadata.annotations } }, spec } as KubeObject;
}

describe("planFor and the availability rule", () => {
  const ps = withDefaults(proxyService());
  const first = planFor(ps, observed({ service: app }));
  const owned = afterApplying(first);
  const takeover = planFor(ps, observed({ service: app, owned, proxyPods: [proxyPod("Ready", "p1", T0)], now: T0 })).applies.find((a) => a.object.metadata.name === "sn0")!;
  const takenOver = applied(app, takeover.object);

  it("points a taken-over Service back at the application's pods when no proxy serves, as a Warning", () => {
    const plan = planFor(ps, observed({ service: takenOver as typeof app, owned, proxyPods: [proxyPod("NotReady", "p1", T0)], now: T0 }));
    const fallback = plan.applies.find((a) => a.object.metadata.name === "sn0");
    expect((fallback?.object.spec as { selector?: object }).selector).toEqual({ app: "s0" });
    expect((fallback?.object.spec as { ports?: { targetPort?: unknown }[] }).ports?.[0]?.targetPort).toBe(8080);
    expect(fallback?.object.metadata.annotations?.[Annotations.fellBack]).toBe("true");
    expect(fallback?.object.metadata.annotations?.[Annotations.takeover]).toContain('"app":"s0"'); // the record stays
    expect(fallback?.wave).toBe(0);
    expect(fallback?.event).toMatchObject({ type: "Warning", reason: Reasons.FellBack });
    expect(plan.ready).toMatchObject({ status: "False", reason: Reasons.FellBack });
    expect(plan.ready.message).toContain("Running but not Ready");
    expect(plan.transition).toBe("fellBack");
    expect(plan.status.takeover).toEqual({ service: "sn0", mode: "Modified", state: "FellBack" });
  });

  it("falls back as soon as the last serving proxy starts terminating, while it still drains", () => {
    const plan = planFor(ps, observed({ service: takenOver as typeof app, owned, proxyPods: [proxyPod("Terminating", "p1", T0)], now: T0 }));
    expect(plan.transition).toBe("fellBack");
    expect(plan.ready.message).toContain("terminating");
  });

  it("keeps the takeover while one proxy of two still serves", () => {
    const plan = planFor(ps, observed({ service: takenOver as typeof app, owned, proxyPods: [proxyPod("Terminating", "p1", T0), proxyPod("Ready", "p2", T0)], now: T0 }));
    expect(plan.applies).toEqual([]);
    expect(plan.ready.status).toBe("True");
  });

  it("stays on the application until a proxy has been Ready for the hold time, then takes over again", () => {
    const fallback = planFor(ps, observed({ service: takenOver as typeof app, owned, proxyPods: [], now: T0 })).applies.find((a) => a.object.metadata.name === "sn0")!;
    const fellBack = applied(takenOver, fallback.object) as typeof app;
    const early = planFor(ps, observed({ service: fellBack, owned, proxyPods: [proxyPod("Ready", "p2", T0)], recentFallbacks: 1, now: T0 + 2_000 }));
    expect(early.applies).toEqual([]);
    expect(early.ready.reason).toBe(Reasons.FellBack);
    expect(early.next).toEqual({ kind: "requeueAfter", ms: STABLE_READY_MS - 2_000, reason: Reasons.FellBack });
    expect(early.status.takeover?.state).toBe("FellBack");
    const later = planFor(ps, observed({ service: fellBack, owned, proxyPods: [proxyPod("Ready", "p2", T0)], recentFallbacks: 1, now: T0 + STABLE_READY_MS }));
    const again = later.applies.find((a) => a.object.metadata.name === "sn0");
    expect(again?.object.metadata.annotations?.[Annotations.fellBack]).toBeUndefined();
    expect(again?.event.reason).toBe("ServiceTakenOver");
    expect(later.transition).toBe("tookOverAgain");
    expect(later.revertedBy).toBeUndefined(); // our own fallback is not a revert by another tool
    expect(later.ready.status).toBe("True");
  });

  it("falls back from Ready pods that the Service's EndpointSlices have not listed within the grace, and looks again within it", () => {
    const unlisted = (now: number) => observed({ service: takenOver as typeof app, owned, proxyPods: [proxyPod("Ready", "p1", T0)], serviceEndpoints: { service: "sn0", ready: 0, writtenAt: T0 }, now });
    const within = planFor(ps, unlisted(T0 + 500));
    expect(within.applies).toEqual([]);
    expect(within.ready.status).toBe("True");
    expect(within.next).toEqual({ kind: "requeueAfter", ms: ENDPOINTS_GRACE_MS - 500, reason: Reasons.Ready });
    const after = planFor(ps, unlisted(T0 + ENDPOINTS_GRACE_MS));
    expect(after.transition).toBe("fellBack");
    expect(after.ready).toMatchObject({ status: "False", reason: Reasons.FellBack });
    expect(after.ready.message).toContain("the EndpointSlice controller has not caught up");
    expect((after.applies.find((a) => a.object.metadata.name === "sn0")?.object.spec as { selector?: object }).selector).toEqual({ app: "s0" });
  });

  it("waits for the first proxy as a Normal ProxyNotAvailable, naming the cause", () => {
    const plan = planFor(ps, observed({ service: app, owned, proxyPods: [proxyPod("NotReady", "p1", T0)], now: T0 }));
    expect(plan.ready.reason).toBe(Reasons.ProxyNotAvailable);
    expect(plan.ready.message).toContain("Running but not Ready");
    expect(plan.transition).toBeUndefined();
    expect(plan.status.takeover).toBeUndefined();
  });

  it("falls back even while the spec is refused", () => {
    const refused = withDefaults(proxyService({ port: 8081 }));
    const plan = planFor(refused, observed({ service: takenOver as typeof app, owned, proxyPods: [], now: T0 }));
    expect(plan.ready.reason).toBe(Reasons.SpecInvalid);
    expect(plan.applies.map((a) => a.object.metadata.name)).toEqual(["sn0"]);
    expect((plan.applies[0]?.object.spec as { selector?: object }).selector).toEqual({ app: "s0" });
    expect(plan.status.takeover?.state).toBe("FellBack");
    // And from Ready pods the Service has not listed past the grace, the same rule as a plan that renders.
    const unlisted = planFor(
      refused,
      observed({ service: takenOver as typeof app, owned, proxyPods: [proxyPod("Ready", "p1", T0)], serviceEndpoints: { service: "sn0", ready: 0, writtenAt: T0 }, now: T0 + ENDPOINTS_GRACE_MS }),
    );
    expect(unlisted.applies.map((a) => a.object.metadata.name)).toEqual(["sn0"]);
    expect(unlisted.status.takeover?.state).toBe("FellBack");
  });

  it("reports the takeover and the serving proxies in an idle branch too", () => {
    const refused = withDefaults(proxyService({ port: 8081 }));
    const plan = planFor(refused, observed({ service: takenOver as typeof app, owned, proxyPods: [proxyPod("Ready", "p1", T0)], now: T0 }));
    expect(plan.applies).toEqual([]);
    expect(plan.status).toMatchObject({ readyReplicas: 1, takeover: { service: "sn0", mode: "Modified", state: "TakenOver" } });
  });
});
