import { beforeAll, describe, expect, it } from "vitest";
import { useOperator, type OperatorHarness } from "../operator/harness.js";
import { admin, apply, currentAdminKubeConfig, getPs, mergePatch } from "../operator/support.js";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { withDefaults } from "../../../src/api/defaults.js";
import { destinationRuleConflicts, type DestinationRuleLike } from "../../../src/api/destination-rule-conflicts.js";
import { Labels, proxySelectorValue } from "../../../src/api/labels.js";
import type { ProxyService } from "../../../src/api/types.js";
import { createCaller, enableInjection, setUpPublishedExample, trace, traceThroughProxies, xds, type Trace } from "./support.js";

// Issue 9, 4.5: a user's own DestinationRule for sn0's host or the target's, as the real istiod resolves it
// against ours (pilot/pkg/model/push_context.go and destination_rule.go in istio/istio; docs/api.md, "Your own
// DestinationRules"). Every ProxyService here has a warm-up of 30 s: the slow start it puts on the proxies'
// cluster is only in OUR DestinationRule, so it tells ours apart from Istio's defaults (also LEAST_REQUEST).
// Each test also asks destinationRuleConflicts, the decision behind the DestinationRules condition, to agree.

const DR = "networking.istio.io/v1";
const userRule = (name: string, spec: Record<string, unknown>): Parameters<typeof apply>[0] => ({ apiVersion: DR, kind: "DestinationRule", metadata: { name }, spec });
const RR = { loadBalancer: { simple: "ROUND_ROBIN" } };
const proxyHops = (t: Trace) => t.hops.slice(1);
const oursOnProxies = (t: Trace) => proxyHops(t).length > 0 && proxyHops(t).every((h) => h.lb.policy === "LEAST_REQUEST" && h.lb.slowStart?.slowStartWindow === "30s");
const notOursOnProxies = (t: Trace) => proxyHops(t).length > 0 && proxyHops(t).every((h) => h.lb.slowStart === undefined);

/** The published example with the warm-up, once istiod gives the proxies our rule; `before` runs first (to make older rules). */
function useExample(prefix: string, before: (ns: string) => Promise<void> = async () => {}): { h: OperatorHarness; caller: () => string } {
  const h = useOperator(prefix);
  let caller = "";
  beforeAll(async () => {
    await before(h.ns);
    caller = await setUpPublishedExample(h.ns);
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { warmupDuration: "30s" } });
  });
  return { h, caller: () => caller };
}

/** What destinationRuleConflicts says of the DestinationRules in `namespaces` for ps-s0 of `ns`: the conflicting rules. */
async function judge(ns: string, namespaces: string[] = [ns]): Promise<string[]> {
  const proxyService = withDefaults((await getPs(ns, "ps-s0")) as unknown as ProxyService);
  const rules: DestinationRuleLike[] = [];
  for (const n of namespaces) rules.push(...(await admin.request<{ items: DestinationRuleLike[] }>("GET", `/apis/networking.istio.io/v1/namespaces/${n}/destinationrules`)).items);
  const isOwn = (r: DestinationRuleLike) => r.metadata.namespace === ns && ["ps-s0", "ps-s0-callers"].includes(r.metadata.name ?? "");
  return destinationRuleConflicts({
    proxyService,
    ownRules: rules.filter(isOwn),
    userRules: rules.filter((r) => !isOwn(r)),
    proxyLabels: { [Labels.proxy]: proxySelectorValue(ns, "ps-s0") },
  }).map((c) => `${c.rule} ${c.affects}`);
}

describe("a user DestinationRule for the target, newer than ours, without exportTo", () => {
  const { h, caller } = useExample("istio-udr-newer");

  it("takes the proxies' rule whole: its ROUND_ROBIN and plain text to the app, no warm-up; choices 4 cannot bring least-request back, All can", async () => {
    await traceThroughProxies(caller(), "sn0:80", oursOnProxies, "our rule on the proxies first");
    // istiod orders rules by creation time, then by name, and creation times have one-second resolution: a
    // name after "ps-s0" keeps the user's rule the newer one even when it is made in the same second as ours.
    await apply(userRule("user-rule", { host: "sn0-ep", trafficPolicy: { ...RR, tls: { mode: "DISABLE" } } }), h.ns);
    const t = await traceThroughProxies(caller(), "sn0:80", (x) => notOursOnProxies(x) && proxyHops(x).every((hop) => hop.lb.policy === "ROUND_ROBIN"), "the user's rule on the proxies");
    for (const hop of proxyHops(t)) {
      expect(hop.tls.mode, "the proxies' TLS to the app").toBe("plaintext");
      expect(hop.endpoints.every((e) => e.tls === "plaintext")).toBe(true);
    }
    expect(await judge(h.ns)).toEqual([`${h.ns}/user-rule the proxies`]);

    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { leastRequest: { choices: 4 } } });
    // The EnvoyFilter's MERGE reaches the cluster (choice_count 4 is in it), but the cluster balances ROUND_ROBIN, which ignores it.
    const proxy = proxyHops(t)[0]!.proxy;
    const cluster = await waitFor(async () => {
      const c = (await xds(proxy)).clusters.find((x) => x.name === `outbound|80||sn0-ep.${h.ns}.svc.cluster.local`);
      return JSON.stringify(c ?? {}).includes('"choiceCount":4') ? c : undefined;
    }, { description: "choice_count 4 merged into the proxies' cluster" });
    expect(cluster.lbPolicy, "ROUND_ROBIN, lb_policy's zero value, which protojson omits").toBeUndefined();
    for (const hop of proxyHops(await trace(caller(), "sn0:80"))) expect(hop.lb.policy).toBe("ROUND_ROBIN");

    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { leastRequest: { choices: "All" } } });
    const all = await traceThroughProxies(caller(), "sn0:80", (x) => proxyHops(x).every((hop) => JSON.stringify(hop.lb.loadBalancingPolicy ?? {}).includes("FULL_SCAN")), "FULL_SCAN from the EnvoyFilter");
    for (const hop of proxyHops(all)) expect(hop.tls.mode).toBe("plaintext");
  });
});

describe("a user DestinationRule for the target, older than ours, without exportTo", () => {
  const { h, caller } = useExample("istio-udr-older", async (ns) => {
    await apply(userRule("mine", { host: "sn0-ep", trafficPolicy: { loadBalancer: { simple: "RANDOM" } } }), ns);
  });

  it("leaves the proxies ours (the newer of two rules exported differently is the one used), and gives ours to its own namespace's sidecars too", async () => {
    const t = await traceThroughProxies(caller(), "sn0:80", oursOnProxies, "our rule on the proxies");
    for (const hop of proxyHops(t)) expect(hop.endpoints.every((e) => e.tls === "istio-mtls")).toBe(true);
    const direct = await trace(caller(), "sn0-ep:80");
    expect(direct.hops[0]!.lb).toMatchObject({ policy: "LEAST_REQUEST", slowStart: { slowStartWindow: "30s" } });
    expect(await judge(h.ns)).toEqual([]);
  });
});

describe("user DestinationRules for the target with exportTo", () => {
  const { h, caller } = useExample("istio-udr-export");

  it("exportTo \".\" merges with ours and ours, older, keeps its trafficPolicy; exportTo another namespace never reaches the proxies", async () => {
    await traceThroughProxies(caller(), "sn0:80", oursOnProxies, "our rule on the proxies first");
    // Named after "ps-s0", so that ours is the older in a same-second tie too (see the first test).
    await apply(userRule("user-dot", { host: `sn0-ep.${h.ns}.svc.cluster.local`, exportTo: ["."], trafficPolicy: RR }), h.ns);
    await apply(userRule("elsewhere", { host: "sn0-ep", exportTo: ["elsewhere"], trafficPolicy: RR }), h.ns);
    // A positive signal that istiod has pushed both: the caller's own sidecar, in the same namespace, gets the merged rule (ours).
    await apply(userRule("probe", { host: "sn0", trafficPolicy: RR }), h.ns);
    const t = await traceThroughProxies(caller(), "sn0:80", (x) => x.hops[0]!.lb.policy === "ROUND_ROBIN", "the push after the three rules");
    expect(oursOnProxies(t)).toBe(true);
    expect(await judge(h.ns)).toEqual([]);
  });
});

describe("a user DestinationRule for the target with a workloadSelector that does not select the proxies", () => {
  const { h, caller } = useExample("istio-udr-selector");

  it("absorbs ours: the workloads it selects get its policy, and the proxies get no DestinationRule at all", async () => {
    await traceThroughProxies(caller(), "sn0:80", oursOnProxies, "our rule on the proxies first");
    await apply(userRule("callers-only", { host: "sn0-ep", workloadSelector: { matchLabels: { app: "caller" } }, trafficPolicy: RR }), h.ns);
    const direct = await waitFor(async () => {
      const x = await trace(caller(), "sn0-ep:80");
      return x.hops[0]?.lb.policy === "ROUND_ROBIN" ? x : undefined;
    }, { description: "the selected caller on the user's rule" });
    expect(direct.hops[0]!.lb.slowStart).toBeUndefined();
    const t = await traceThroughProxies(caller(), "sn0:80", notOursOnProxies, "our warm-up gone from the proxies");
    for (const hop of proxyHops(t)) expect(hop.lb.policy, "Istio's default, not the user's ROUND_ROBIN").toBe("LEAST_REQUEST");
    expect(await judge(h.ns)).toEqual([`${h.ns}/callers-only the proxies`]);
  });
});

describe("a user DestinationRule for sn0 under callerTls DISABLE", () => {
  const { h, caller } = useExample("istio-udr-sn0");
  const plainToProxies = (t: Trace) => t.hops[0]!.endpoints.every((e) => e.tls === "plaintext");

  it("changes only the callers' hop: its ROUND_ROBIN (short name) is harmless, its tls ISTIO_MUTUAL (FQDN) sends TLS to the proxies' plain-text listener", async () => {
    await apply(userRule("mine", { host: "sn0", trafficPolicy: RR }), h.ns);
    const rr = await traceThroughProxies(caller(), "sn0:80", (x) => x.hops[0]!.lb.policy === "ROUND_ROBIN" && oursOnProxies(x), "the caller on ROUND_ROBIN");
    expect(plainToProxies(rr)).toBe(true);
    expect(await judge(h.ns)).toEqual([]);

    await apply(userRule("mine", { host: `sn0.${h.ns}.svc.cluster.local`, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }), h.ns);
    const t = await traceThroughProxies(caller(), "sn0:80", (x) => x.hops[0]!.endpoints.every((e) => e.tls === "tls"), "the caller originating TLS");
    expect(t.hops[0]!.tls.mode).toBe("tls");
    for (const hop of proxyHops(t)) expect(hop.filterChain, "the proxies' listener").toMatchObject({ tls: false });
    expect((await judge(h.ns)).map((c) => c.split(" ")[0])).toEqual([`${h.ns}/mine`]);
  });
});

describe("a user DestinationRule for sn0, older than ours, under callerTls ISTIO_MUTUAL", () => {
  const { h, caller } = useExample("istio-udr-mutual");

  it("wins the merge with ours (same exportTo, the first trafficPolicy is kept whole): callers send plain text, the proxies require mTLS", async () => {
    await apply(userRule("mine", { host: "sn0", trafficPolicy: RR }), h.ns);
    await traceThroughProxies(caller(), "sn0:80", (x) => x.hops[0]!.lb.policy === "ROUND_ROBIN", "the user's rule on the caller");
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { callerTls: { mode: "ISTIO_MUTUAL" } } });
    const t = await traceThroughProxies(caller(), "sn0:80", (x) => proxyHops(x).every((hop) => hop.filterChain?.requireClientCertificate === true), "the proxies requiring mTLS");
    expect(t.hops[0]!.lb.policy).toBe("ROUND_ROBIN");
    expect(t.hops[0]!.endpoints.every((e) => e.tls === "plaintext"), "the caller sends plain text").toBe(true);
    expect((await judge(h.ns)).map((c) => c.split(" ")[0])).toEqual([`${h.ns}/mine`]);
  });
});

describe("user DestinationRules in a caller's namespace", () => {
  const { h, caller } = useExample("istio-udr-far");

  it("for sn0 with tls they break that namespace's callers only; for the target they do not reach the proxies", async () => {
    const other = await createTestNamespace("istio-udr-far-caller", currentAdminKubeConfig());
    try {
      await enableInjection(other.name);
      const far = await createCaller(other.name);
      const host = `sn0.${h.ns}.svc.cluster.local`;
      await apply(userRule("target", { host: `sn0-ep.${h.ns}.svc.cluster.local`, trafficPolicy: RR }), other.name);
      await apply(userRule("sn0", { host, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }), other.name);
      const t = await traceThroughProxies(far, `${host}:80`, (x) => x.hops[0]!.endpoints.every((e) => e.tls === "tls"), "the far caller originating TLS");
      expect(oursOnProxies(t), "the proxies keep ours").toBe(true);
      for (const hop of proxyHops(t)) expect(hop.filterChain).toMatchObject({ tls: false });
      const local = await trace(caller(), "sn0:80");
      expect(local.hops[0]!.endpoints.every((e) => e.tls === "plaintext"), "the local caller is unaffected").toBe(true);
      expect(await judge(h.ns, [h.ns, other.name])).toEqual([`${other.name}/sn0 callers in namespace "${other.name}"`]);
    } finally {
      await other.cleanup();
    }
  });
});
