import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/api/defaults.js";
import { destinationRuleCondition, destinationRuleConflicts, type DestinationRuleLike } from "../../src/api/destination-rule-conflicts.js";
import type { CallerTlsMode } from "../../src/api/types.js";

// Each case is one that test/integration/istio/user-destination-rule.test.ts shows in what the real istiod sends.

const proxyService = (mode: CallerTlsMode = "DISABLE") =>
  withDefaults({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0", namespace: "shop" }, spec: { serviceName: "sn0", target: "sn0-ep", callerTls: { mode } } });
const proxyLabels = { "proxyservice.msvcbench.io/proxy": "shop.ps-s0" };
const target = "sn0-ep.shop.svc.cluster.local";
const sn0 = "sn0.shop.svc.cluster.local";
const at = (minute: number) => `2026-12-02T10:${String(minute).padStart(2, "0")}:00Z`;

type Spec = NonNullable<DestinationRuleLike["spec"]>;
const rule = (name: string, spec: Spec, created?: number, namespace = "shop"): DestinationRuleLike => ({
  metadata: { name, namespace, ...(created === undefined ? {} : { creationTimestamp: at(created) }) },
  spec,
});
/** Ours as rendered: the target's rule (exportTo "."), created at minute 10, and under ISTIO_MUTUAL the callers' rule at minute 10. */
const own = (mode: CallerTlsMode, callersCreated: number | null = 10): DestinationRuleLike[] => [
  rule("ps-s0", { host: target, exportTo: ["."], trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" } } }, 10),
  ...(mode === "ISTIO_MUTUAL" ? [rule("ps-s0-callers", { host: sn0, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }, callersCreated ?? undefined)] : []),
];
const conflicts = (userRules: DestinationRuleLike[], mode: CallerTlsMode = "DISABLE", ownRules = own(mode)) =>
  destinationRuleConflicts({ proxyService: proxyService(mode), ownRules, userRules, proxyLabels });
const rr = { loadBalancer: { simple: "ROUND_ROBIN" } };

describe("destinationRuleConflicts: the target's host, as the proxies get it", () => {
  it("a newer rule without exportTo takes our place (istiod keeps the last of two rules exported differently)", () => {
    const [c, ...rest] = conflicts([rule("mine", { host: "sn0-ep", trafficPolicy: { ...rr, tls: { mode: "DISABLE" } } }, 20)]);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ rule: "shop/mine", affects: "the proxies" });
    expect(c!.problem).toContain(`takes the place of this ProxyService's DestinationRule "shop/ps-s0" for "${target}"`);
    expect(c!.fix).toContain(`set its exportTo to namespaces other than "shop"`);
  });

  it("a newer rule shadows ours as a whole, even with only a connectionPool, or with no trafficPolicy at all", () => {
    expect(conflicts([rule("pool", { host: "sn0-ep", exportTo: ["*"], trafficPolicy: { connectionPool: {} } as Spec["trafficPolicy"] }, 20)]).map((c) => c.rule)).toEqual(["shop/pool"]);
    expect(conflicts([rule("subsets", { host: target }, 20)]).map((c) => c.rule)).toEqual(["shop/subsets"]);
  });

  it("an older rule without exportTo is harmless to us: ours, newer, is the last entry", () => {
    expect(conflicts([rule("mine", { host: "sn0-ep", trafficPolicy: { loadBalancer: { simple: "RANDOM" } } }, 5)])).toEqual([]);
  });

  it("a newer rule with exportTo \".\" merges into ours, and ours, first, keeps its trafficPolicy; an older one wins the merge", () => {
    expect(conflicts([rule("dot", { host: target, exportTo: ["."], trafficPolicy: rr }, 20)])).toEqual([]);
    expect(conflicts([rule("dot", { host: target, exportTo: ["."], trafficPolicy: rr }, 5)]).map((c) => c.rule)).toEqual(["shop/dot"]);
  });

  it("a rule exported only to other namespaces never reaches the proxies", () => {
    expect(conflicts([rule("far", { host: "sn0-ep", exportTo: ["elsewhere"], trafficPolicy: rr }, 20)])).toEqual([]);
  });

  it("a rule with a workloadSelector that selects the proxies wins for them", () => {
    const [c] = conflicts([rule("sel", { host: "sn0-ep", workloadSelector: { matchLabels: proxyLabels }, trafficPolicy: rr }, 20)]);
    expect(c).toMatchObject({ rule: "shop/sel", affects: "the proxies" });
    expect(c!.problem).toContain("its workloadSelector selects the proxies");
  });

  it("a rule with a workloadSelector that does not select the proxies absorbs ours, and the proxies get no DestinationRule", () => {
    const [c] = conflicts([rule("sel", { host: "sn0-ep", workloadSelector: { matchLabels: { app: "caller" } }, trafficPolicy: rr }, 20)]);
    expect(c).toMatchObject({ rule: "shop/sel", affects: "the proxies" });
    expect(c!.problem).toContain(`istiod merges this ProxyService's DestinationRule "shop/ps-s0" into it, so the proxies get no DestinationRule for "${target}"`);
  });

  it("rules in other namespaces, the root namespace's included, do not reach the proxies: ours is in their own namespace", () => {
    expect(conflicts([rule("far", { host: target, trafficPolicy: rr }, 20, "web"), rule("mesh", { host: "*.local", trafficPolicy: rr }, 20, "istio-system")])).toEqual([]);
  });

  it("a rule for another host, or a less specific wildcard in the same namespace, is not a conflict", () => {
    expect(conflicts([rule("other", { host: "other", trafficPolicy: rr }, 20), rule("wild", { host: "*.shop.svc.cluster.local", trafficPolicy: rr }, 20)])).toEqual([]);
  });

  it("when ours does not exist yet it counts as the newest: an older rule merged with it would win", () => {
    const ownRules = [rule("ps-s0", { host: target, exportTo: ["."], trafficPolicy: rr })];
    expect(conflicts([rule("dot", { host: target, exportTo: ["."], trafficPolicy: rr }, 5)], "DISABLE", ownRules).map((c) => c.rule)).toEqual(["shop/dot"]);
  });
});

describe("destinationRuleConflicts: spec.serviceName's host, as callers get it", () => {
  it("DISABLE: a rule for sn0 with its own loadBalancer is harmless (short name or FQDN)", () => {
    expect(conflicts([rule("mine", { host: "sn0", trafficPolicy: rr }, 20)])).toEqual([]);
    expect(conflicts([rule("mine", { host: sn0, trafficPolicy: rr }, 20, "web")])).toEqual([]);
  });

  it("DISABLE: a rule for sn0 with tls ISTIO_MUTUAL makes callers send TLS to a plain-text listener", () => {
    const [c] = conflicts([rule("mine", { host: sn0, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }, 20)]);
    expect(c).toMatchObject({ rule: "shop/mine", affects: `callers in namespace "shop" and callers in namespaces without a DestinationRule of their own for it` });
    expect(c!.problem).toContain("originate TLS (ISTIO_MUTUAL) to the proxies, whose listener takes plain text under spec.callerTls.mode DISABLE");
    expect(c!.fix).toBe("set spec.callerTls.mode: ISTIO_MUTUAL, or remove its tls");
    const [simple] = conflicts([rule("mine", { host: "sn0", trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: "SIMPLE" } }] } }, 20)]);
    expect(simple!.fix).toBe(`remove its tls for the ports of "sn0"`);
  });

  it("DISABLE: a rule in a caller's namespace, and a root-namespace wildcard, break the callers they reach", () => {
    const far = rule("far", { host: sn0, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }, 20, "web");
    const mesh = rule("mesh", { host: "*.shop.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }, 20, "istio-system");
    expect(conflicts([far, mesh]).map((c) => [c.rule, c.affects])).toEqual([
      ["istio-system/mesh", `callers in namespace "shop" and callers in namespaces without a DestinationRule of their own for it`],
      ["web/far", `callers in namespace "web"`],
    ]);
  });

  it("ISTIO_MUTUAL: an older rule for sn0 without tls wins the merge with ours, and callers send plain text", () => {
    const [c, ...rest] = conflicts([rule("mine", { host: "sn0", trafficPolicy: rr }, 5)], "ISTIO_MUTUAL");
    expect(rest).toEqual([]);
    // Without exportTo it is exported too, and merged with ours in the exported index as well: every caller breaks.
    expect(c).toMatchObject({ rule: "shop/mine", affects: `callers in namespace "shop" and callers in namespaces without a DestinationRule of their own for it` });
    expect(c!.problem).toContain("no TLS setting (auto mTLS: plain text to the proxies, which carry no tlsMode label) instead of ISTIO_MUTUAL");
    expect(c!.fix).toBe("add trafficPolicy.tls.mode: ISTIO_MUTUAL to it, or delete it");
  });

  it("ISTIO_MUTUAL: a newer rule for sn0 merges into ours and is harmless; with tls ISTIO_MUTUAL an older one is harmless too", () => {
    expect(conflicts([rule("mine", { host: "sn0", trafficPolicy: rr }, 20)], "ISTIO_MUTUAL")).toEqual([]);
    expect(conflicts([rule("mine", { host: "sn0", trafficPolicy: { ...rr, tls: { mode: "ISTIO_MUTUAL" } } }, 5)], "ISTIO_MUTUAL")).toEqual([]);
  });

  it("ISTIO_MUTUAL: a rule with exportTo \".\" breaks the callers of its own namespace only; one in a caller's namespace breaks those callers", () => {
    expect(conflicts([rule("dot", { host: "sn0", exportTo: ["."], trafficPolicy: rr }, 20)], "ISTIO_MUTUAL").map((c) => c.affects)).toEqual([`callers in namespace "shop"`]);
    expect(conflicts([rule("far", { host: sn0, trafficPolicy: rr }, 20, "web")], "ISTIO_MUTUAL").map((c) => c.affects)).toEqual([`callers in namespace "web"`]);
  });

  it("ISTIO_MUTUAL: a caller-namespace rule with a selector breaks both the callers it picks and, hiding ours, the others", () => {
    const sel = rule("sel", { host: sn0, workloadSelector: { matchLabels: { app: "caller" } }, trafficPolicy: rr }, 20, "web");
    expect(conflicts([sel], "ISTIO_MUTUAL").map((c) => c.affects)).toEqual([`callers in namespace "web" and callers in namespace "web" that its workloadSelector picks`]);
  });

  it("ISTIO_MUTUAL: the callers' rule about to be created counts as the newest", () => {
    expect(conflicts([rule("mine", { host: "sn0", trafficPolicy: rr }, 20)], "ISTIO_MUTUAL", own("ISTIO_MUTUAL", null)).map((c) => c.rule)).toEqual(["shop/mine"]);
  });
});

describe("destinationRuleCondition", () => {
  it("is True (NoDestinationRuleConflict) with no user rule that matters", () => {
    const c = destinationRuleCondition({ proxyService: proxyService(), ownRules: own("DISABLE"), userRules: [rule("old", { host: "sn0-ep", trafficPolicy: rr }, 5)], proxyLabels }, 3);
    expect(c).toMatchObject({ type: "DestinationRules", status: "True", reason: "NoDestinationRuleConflict", observedGeneration: 3 });
    expect(c.message).toContain(`"${target}"`);
  });

  it("is False (DestinationRuleConflict), naming each rule as namespace/name, whom it affects and the fix", () => {
    const userRules = [rule("mine", { host: "sn0-ep", trafficPolicy: rr }, 20), rule("tls", { host: "sn0", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }, 20)];
    const c = destinationRuleCondition({ proxyService: proxyService(), ownRules: own("DISABLE"), userRules, proxyLabels }, 4);
    expect(c).toMatchObject({ type: "DestinationRules", status: "False", reason: "DestinationRuleConflict", observedGeneration: 4 });
    expect(c.message).toMatch(/^DestinationRule "shop\/mine" takes the place .* for the proxies; delete it, or set its exportTo .*\. DestinationRule "shop\/tls" makes callers .* for callers in namespace "shop" and callers in namespaces without a DestinationRule of their own for it; set spec.callerTls.mode: ISTIO_MUTUAL, or remove its tls$/);
  });
});
