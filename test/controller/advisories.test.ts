import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/api/defaults.js";
import { advise, isProblem } from "../../src/controller/advisories.js";
import { createMeanLatencyPredictor } from "../../src/cli/balancing-predictor.js";
import type { KubeObject } from "../../src/kube/object.js";
import { NS, flatPredictor, observed, proxyPod, proxyService, service } from "./fixtures.js";

const predict = createMeanLatencyPredictor();
/** n serving proxy pods, and their Deployment. */
const proxies = (readyReplicas: number): { owned: ReadonlyMap<string, KubeObject>; proxyPods: ReturnType<typeof proxyPod>[] } => ({
  owned: new Map([["Deployment/ps-s0", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "ps-s0" }, status: { readyReplicas } }]]),
  proxyPods: Array.from({ length: readyReplicas }, (_, i) => proxyPod("Ready", `ps-s0-${i}`)),
});

const globalView = (conditions: ReturnType<typeof advise>) => conditions.filter((c) => c.type === "GlobalView");

describe("advise: GlobalView", () => {
  it("is Unknown before a proxy serves or a target pod is ready", () => {
    const [c] = globalView(advise(withDefaults(proxyService()), observed({ targetReadyEndpoints: 4 }), predict));
    expect(c).toMatchObject({ type: "GlobalView", status: "Unknown", observedGeneration: 1 });
    const [d] = globalView(advise(withDefaults(proxyService()), observed({ ...proxies(2), targetReadyEndpoints: 0 }), predict));
    expect(d?.status).toBe("Unknown");
  });

  it("is True with one proxy, and False (TooManyProxies) with 8 proxies in front of 4 target pods", () => {
    const one = globalView(advise(withDefaults(proxyService()), observed({ ...proxies(1), targetReadyEndpoints: 4 }), predict));
    expect(one).toEqual([expect.objectContaining({ type: "GlobalView", status: "True", reason: "GainKept" })]);
    const eight = globalView(advise(withDefaults(proxyService()), observed({ ...proxies(8), targetReadyEndpoints: 4 }), predict));
    expect(eight).toEqual([expect.objectContaining({ type: "GlobalView", status: "False", reason: "TooManyProxies" })]);
    expect(eight[0]?.message).toContain("8 proxies serve 4 target pods");
    expect(eight[0]?.message).toContain("spec.resources.requests.cpu");
  });

  it("uses spec.leastRequest.choices of the proxies", () => {
    const [c] = globalView(advise(withDefaults(proxyService({ leastRequest: { choices: "All" } })), observed({ ...proxies(1), targetReadyEndpoints: 4 }), flatPredictor));
    expect(c?.message).toContain("with All least-request choices");
  });

  it("is not given for a policy other than least-request (no in-flight counts to spoil)", () => {
    expect(globalView(advise(withDefaults(proxyService({ loadBalancer: "ROUND_ROBIN" })), observed({ ...proxies(8), targetReadyEndpoints: 4 }), predict))).toEqual([]);
  });
});

describe("advise: CallerIdentity", () => {
  const callerIdentity = (conditions: ReturnType<typeof advise>) => conditions.find((c) => c.type === "CallerIdentity");
  const target = service("sn0-ep", { app: "s0" });
  const policy = (principals: string[]): KubeObject => ({
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "allow-callers", namespace: NS },
    spec: { selector: { matchLabels: { app: "s0" } }, action: "ALLOW", rules: [{ from: [{ source: { principals } }] }] },
  });

  it("judges the policies on the target's pods, known by the target Service's selector", () => {
    const hidden = callerIdentity(advise(withDefaults(proxyService()), observed({ target, authorizationPolicies: [policy([`cluster.local/ns/${NS}/sa/caller`])] }), flatPredictor));
    expect(hidden).toMatchObject({ status: "False", reason: "PrincipalsHidden" });
    expect(hidden?.message).toContain(`AuthorizationPolicy "${NS}/allow-callers"`);
    expect(callerIdentity(advise(withDefaults(proxyService()), observed({ target, authorizationPolicies: [] }), flatPredictor))).toMatchObject({ status: "True" });
  });

  it("is Unknown while the target Service is not known", () => {
    expect(callerIdentity(advise(withDefaults(proxyService()), observed({ authorizationPolicies: [policy(["x"])] }), flatPredictor))?.status).toBe("Unknown");
  });
});

describe("isProblem", () => {
  it("Ready False is a problem except while waiting for the first proxy; an advisory is one when False", () => {
    expect(isProblem({ type: "Ready", status: "False", reason: "SpecInvalid" })).toBe(true);
    expect(isProblem({ type: "Ready", status: "False", reason: "ProxyNotAvailable" })).toBe(false);
    expect(isProblem({ type: "Ready", status: "True", reason: "Ready" })).toBe(false);
    expect(isProblem({ type: "GlobalView", status: "False", reason: "TooManyProxies" })).toBe(true);
    expect(isProblem({ type: "GlobalView", status: "Unknown", reason: "GainKept" })).toBe(false);
  });
});

describe("advise: DestinationRules", () => {
  const conditionOf = (conditions: ReturnType<typeof advise>) => conditions.find((c) => c.type === "DestinationRules");
  const ours: KubeObject = {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "ps-s0", namespace: NS, creationTimestamp: new Date("2026-01-01T00:00:00Z") },
    spec: { host: `sn0-ep.${NS}.svc.cluster.local`, exportTo: ["."], workloadSelector: undefined, trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" }, tls: { mode: "ISTIO_MUTUAL" } } },
  };
  const users = (created: string): KubeObject => ({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "mine", namespace: NS, creationTimestamp: new Date(created) },
    spec: { host: "sn0-ep", trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } } },
  });

  it("is False naming a newer user rule for the target, which istiod gives the proxies instead of ours; True for an older one", () => {
    const owned = new Map([["DestinationRule/ps-s0", ours]]);
    const newer = conditionOf(advise(withDefaults(proxyService()), observed({ owned, otherDestinationRules: [users("2026-02-01T00:00:00Z")] }), flatPredictor));
    expect(newer).toMatchObject({ status: "False", reason: "DestinationRuleConflict" });
    expect(newer?.message).toContain(`"${NS}/mine"`);
    const older = conditionOf(advise(withDefaults(proxyService()), observed({ owned, otherDestinationRules: [users("2025-12-01T00:00:00Z")] }), flatPredictor));
    expect(older).toMatchObject({ status: "True", reason: "NoDestinationRuleConflict" });
  });
});
