import { describe, expect, it } from "vitest";
import { Reasons } from "../../src/api/conditions.js";
import { SpecError } from "../../src/api/errors.js";
import { Annotations, encodeTakeoverRecord, observeRecord } from "../../src/api/takeover.js";
import { desired as render, type DesiredState, type RenderOutcome } from "../../src/render/desired.js";
import { proxyService, service, sn0, UID } from "./fixtures.js";

/** desired() as the operator and the CLI call it: with the record of spec.serviceName decoded once. */
const desired = (ps: Parameters<typeof render>[0], observed: Parameters<typeof render>[1]): ReturnType<typeof render> =>
  render(ps, { ...observed, ...observeRecord(observed.service) });

function state(outcome: RenderOutcome): DesiredState {
  if (outcome.kind !== "desired") throw new Error(`expected desired, got ${outcome.reason}: ${outcome.message}`);
  return outcome;
}

function specError(run: () => unknown): SpecError {
  try {
    run();
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error("expected a SpecError");
}

/** The cluster after the operator applied `s`: sn0 as rendered (with its live ClusterIP), the target it created. */
function afterApply(s: DesiredState) {
  const taken = s.takenOverService;
  return {
    service: { ...taken, spec: { ...taken.spec, clusterIP: "10.0.0.10", type: "ClusterIP" } },
    target: s.targetService,
  };
}

describe("desired", () => {
  it("takes over the user's sn0: same name, proxy selector, every port kept, record of the original", () => {
    const s = state(desired(proxyService(), { service: sn0 }));
    expect(s.takeover.mode).toBe("Modified");
    expect(s.takenOverService.spec?.selector).toEqual(s.proxySelector);
    expect(s.takenOverService.spec?.ports).toEqual([{ name: "http", port: 80, protocol: "TCP", targetPort: 80 }]);
    expect(observeRecord(s.takenOverService).record).toEqual({
      version: 1,
      proxyService: "ps-s0",
      selector: { app: "s0" },
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }],
    });
  });

  it("never puts an ownerReference or our labels on the user's Service, so it is never garbage-collected with the ProxyService", () => {
    const s = state(desired(proxyService(), { service: sn0 }));
    expect(s.takenOverService.metadata?.ownerReferences).toBeUndefined();
    expect(s.takenOverService.metadata?.labels).toBeUndefined();
  });

  it("creates the target as an owned copy of sn0's selector and ports", () => {
    const s = state(desired(proxyService(), { service: sn0 }));
    expect(s.targetService?.metadata?.name).toBe("sn0-ep");
    expect(s.targetService?.metadata?.ownerReferences?.[0]).toMatchObject({ uid: UID, controller: true, blockOwnerDeletion: true });
    expect(s.targetService?.spec?.selector).toEqual({ app: "s0" });
    expect(s.targetService?.spec?.ports).toEqual([{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }]);
  });

  it("puts the ownerReference and labels on every owned object", () => {
    const s = state(desired(proxyService(), { service: sn0 }));
    const owned = [s.serviceAccount, s.deployment, s.horizontalPodAutoscaler, s.podDisruptionBudget, s.gateway, s.virtualService, s.destinationRule, s.targetService];
    for (const o of owned) {
      expect(o?.metadata?.ownerReferences).toEqual([
        { apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: "ps-s0", uid: UID, controller: true, blockOwnerDeletion: true },
      ]);
      expect(o?.metadata?.labels).toMatchObject({ "app.kubernetes.io/managed-by": "proxy-service-operator", "app.kubernetes.io/instance": "ps-s0" });
    }
  });

  it("renders the same objects again from the state it produced (a second reconcile changes nothing)", () => {
    const first = state(desired(proxyService(), { service: sn0 }));
    const second = state(desired(proxyService(), afterApply(first)));
    expect(second).toEqual(first);
  });

  it("uses a target the user made as it is, and creates sn0 when it is missing (the Sock-Shop flow)", () => {
    const target = service("sn0-ep", { selector: { name: "carts" }, ports: [{ port: 80, targetPort: 80 }] });
    const s = state(desired(proxyService(), { target }));
    expect(s.targetService).toBeUndefined();
    expect(s.takeover.mode).toBe("Created");
    expect(s.takenOverService.metadata?.ownerReferences?.[0]?.uid).toBe(UID);
    expect(s.takenOverService.spec).toMatchObject({ type: "ClusterIP", selector: s.proxySelector });
    const again = state(desired(proxyService(), { target, service: s.takenOverService }));
    expect(again).toEqual(s);
  });

  it("learns the ports from the takeover record while sn0 is taken over, and carries over a port the user added since", () => {
    const first = state(desired(proxyService(), { service: sn0 }));
    const live = afterApply(first).service;
    const added = { ...live, spec: { ...live.spec, ports: [...(live.spec.ports ?? []), { name: "metrics", port: 9100, targetPort: 9102 }] } };
    const s = state(desired(proxyService(), { service: added, target: first.targetService }));
    expect(s.targetService?.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([[80, "http"], [9100, 9102]]);
    expect(s.takenOverService.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([[80, 80], [9100, 9100]]);
  });

  it("treats a selector someone put back (GitOps, Helm) as the new original", () => {
    const first = state(desired(proxyService(), { service: sn0 }));
    const live = afterApply(first).service;
    const reverted = { ...live, spec: { ...live.spec, selector: { app: "s0", version: "v2" }, ports: sn0.spec?.ports } };
    const s = state(desired(proxyService(), { service: reverted, target: first.targetService }));
    expect(s.targetService?.spec?.selector).toEqual({ app: "s0", version: "v2" });
    expect(s.takeover.mode === "Modified" && s.takeover.record.selector).toEqual({ app: "s0", version: "v2" });
  });

  it("waits with TargetServiceMissing when neither Service exists", () => {
    const outcome = desired(proxyService(), {});
    expect(outcome).toMatchObject({ kind: "waiting", reason: Reasons.TargetServiceMissing });
    expect(outcome.kind === "waiting" && outcome.message).toContain('"sn0"');
  });

  it("waits, naming the target, when sn0 is the operator's own and the target is gone", () => {
    const target = service("sn0-ep", { selector: { name: "carts" }, ports: [{ port: 80 }] });
    const created = state(desired(proxyService(), { target })).takenOverService;
    const outcome = desired(proxyService(), { service: created });
    expect(outcome).toMatchObject({ kind: "waiting", reason: Reasons.TargetServiceMissing });
    expect(outcome.kind === "waiting" && outcome.message).toContain('create "sn0-ep"');
  });

  it("waits with ServiceClaimedByAnother when another ProxyService holds the claim, naming it", () => {
    const claimed = service("sn0", sn0.spec, {
      [Annotations.takeover]: encodeTakeoverRecord({ version: 1, proxyService: "ps-other", selector: { app: "s0" }, ports: [{ port: 80 }] }),
    });
    const outcome = desired(proxyService(), { service: claimed, claimedBy: "ps-other" });
    expect(outcome).toMatchObject({ kind: "waiting", reason: Reasons.ServiceClaimedByAnother });
    expect(outcome.kind === "waiting" && outcome.message).toContain('"ps-other"');
  });

  it("refuses to touch a Service whose takeover record cannot be read (TakeoverRefused, naming the annotation), instead of failing every reconcile", () => {
    const broken = service("sn0", sn0.spec, { [Annotations.takeover]: "not json" });
    const err = specError(() => desired(proxyService(), { service: broken }));
    expect(err.reason).toBe(Reasons.TakeoverRefused);
    expect(err.message).toContain(Annotations.takeover);
  });

  it("rejects spec.port that the Service lacks, naming the field and its ports", () => {
    const err = specError(() => desired(proxyService({ port: 8080 }), { service: sn0 }));
    expect(err.field).toBe("port");
    expect(err.reason).toBe(Reasons.SpecInvalid);
    expect(err.message).toBe('spec.port: Service "sn0" has no port 8080; set spec.port to one of its ports: 80');
  });

  it("rejects spec.ports entries the Service lacks", () => {
    expect(specError(() => desired(proxyService({ ports: [{ port: 9, protocol: "TCP" }] }), { service: sn0 })).field).toBe("ports");
  });

  it.each([
    ["a UDP port", service("sn0", { selector: { app: "s0" }, ports: [{ port: 80 }, { name: "dns", port: 53, protocol: "UDP" }] })],
    ["no selector", service("sn0", { ports: [{ port: 80 }] })],
    ["headless", service("sn0", { clusterIP: "None", selector: { app: "s0" }, ports: [{ port: 80 }] })],
    ["ExternalName", service("sn0", { type: "ExternalName", externalName: "example.com", ports: [{ port: 80 }] })],
    ["a port Istio's proxy uses", service("sn0", { selector: { app: "s0" }, ports: [{ port: 80 }, { name: "x", port: 15021 }] })],
  ])("refuses the takeover of a Service with %s (TakeoverRefused)", (_what, svc) => {
    expect(specError(() => desired(proxyService(), { service: svc })).reason).toBe(Reasons.TakeoverRefused);
  });

  it("refuses when the user's target lacks a port that callers use", () => {
    const target = service("sn0-ep", { selector: { app: "s0" }, ports: [{ name: "web", port: 80 }] });
    const svc = service("sn0", { selector: { app: "s0" }, ports: [{ name: "http", port: 80 }, { name: "admin", port: 9000 }] });
    const err = specError(() => desired(proxyService(), { service: svc, target }));
    expect(err.reason).toBe(Reasons.TakeoverRefused);
    expect(err.message).toContain("no port 9000");
  });

  it("maps a caller port to the user target's port of the same name when the numbers differ", () => {
    const target = service("sn0-ep", { selector: { app: "s0" }, ports: [{ name: "http", port: 8080 }] });
    const s = state(desired(proxyService(), { service: sn0, target }));
    expect(s.virtualService.spec.http?.[0]?.route[0]?.destination.port.number).toBe(8080);
  });

  it("adds a PodDisruptionBudget only when more than one proxy can run", () => {
    expect(state(desired(proxyService({ autoscaling: { minReplicas: 1, maxReplicas: 1 } }), { service: sn0 })).podDisruptionBudget).toBeUndefined();
    expect(state(desired(proxyService(), { service: sn0 })).podDisruptionBudget?.spec?.maxUnavailable).toBe(1);
  });

  it("with callerTls ISTIO_MUTUAL, requires mTLS on every server and tells callers' sidecars to originate it", () => {
    const s = state(desired(proxyService({ callerTls: { mode: "ISTIO_MUTUAL" } }), { service: sn0 }));
    expect(s.gateway.spec.servers[0]).toMatchObject({ port: { protocol: "HTTPS" }, tls: { mode: "ISTIO_MUTUAL" } });
    expect(s.callerDestinationRule?.spec).toEqual({ host: "sn0.shop.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });
    expect(state(desired(proxyService(), { service: sn0 })).callerDestinationRule).toBeUndefined();
  });

  it("does not set replicas on the Deployment, which the autoscaler owns", () => {
    expect(state(desired(proxyService(), { service: sn0 })).deployment.spec?.replicas).toBeUndefined();
  });

  it("gives the same ProxyService name in two namespaces disjoint proxy selectors", () => {
    const a = state(desired(proxyService({}, "ps-s0", "a"), { service: { ...sn0, metadata: { name: "sn0", namespace: "a" } } }));
    const b = state(desired(proxyService({}, "ps-s0", "b"), { service: { ...sn0, metadata: { name: "sn0", namespace: "b" } } }));
    expect(a.gateway.spec.selector).not.toEqual(b.gateway.spec.selector);
    expect(a.deployment.spec?.template.metadata?.labels).toMatchObject(a.gateway.spec.selector);
    expect(b.deployment.spec?.template.metadata?.labels).not.toMatchObject(a.gateway.spec.selector);
  });
});
