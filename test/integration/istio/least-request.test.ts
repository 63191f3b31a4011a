import { beforeAll, describe, expect, it } from "vitest";
import { useOperator } from "../operator/harness.js";
import { get, mergePatch } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { pods, setUpPublishedExample, traceThroughProxies, type Trace } from "./support.js";

// Issue 12: spec.leastRequest.choices as the real istiod sends it. The EnvoyFilter we render must reach the
// proxies' cluster towards the target (choice_count, or load_balancing_policy with FULL_SCAN and the warm-up's
// slow start), and nothing of it the callers' sidecars.

describe("spec.leastRequest.choices in the xDS that istiod sends", () => {
  const h = useOperator("istio-choices");
  let caller = "";

  beforeAll(async () => {
    caller = await setUpPublishedExample(h.ns);
  });

  /** The trace of sn0:80 once every hop satisfies `accept` (istiod pushes asynchronously). */
  const traceWhen = (accept: (t: Trace) => boolean, description: string): Promise<Trace> => traceThroughProxies(caller, "sn0:80", accept, description);
  const proxyHops = (t: Trace) => t.hops.slice(1);

  it("Istio's injector gives the proxy the worker threads we size it for (proxy.istio.io/config concurrency)", async () => {
    const deployment = await get<{ spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { annotations: Record<string, string> } } } }>("apps/v1", "Deployment", h.ns, "ps-s0");
    const wanted = (JSON.parse(deployment!.spec.template.metadata.annotations["proxy.istio.io/config"] ?? "{}") as { concurrency?: number }).concurrency;
    expect(wanted).toBeGreaterThan(0);
    const selector = Object.entries(deployment!.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
    const list = await pods(h.ns, selector);
    expect(list.length).toBeGreaterThan(0);
    for (const p of list) {
      const proxy = (p.spec.containers as { name: string; env?: { name: string; value?: string }[] }[]).find((c) => c.name === "istio-proxy");
      const config = proxy?.env?.find((e) => e.name === "PROXY_CONFIG")?.value ?? "{}";
      expect((JSON.parse(config) as { concurrency?: number }).concurrency, p.metadata.name).toBe(wanted);
    }
  });

  it("choices 4: the proxies' cluster towards the target has choice_count 4; the caller's cluster keeps Istio's 2", async () => {
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { leastRequest: { choices: 4 } } });
    const t = await traceWhen((x) => proxyHops(x).every((hop) => hop.lb.choiceCount === 4), "choice_count 4 on every proxy");
    for (const hop of proxyHops(t)) {
      expect(hop.cluster).toBe(`outbound|80||sn0-ep.${h.ns}.svc.cluster.local`);
      expect(hop.lb).toMatchObject({ policy: "LEAST_REQUEST", choiceCount: 4, locality: "off" });
      expect(hop.lb.loadBalancingPolicy).toBeUndefined();
    }
    expect(t.hops[0]!.lb).toMatchObject({ policy: "LEAST_REQUEST", choiceCount: 2 });
    expect(t.hops[0]!.lb.loadBalancingPolicy).toBeUndefined();
  });

  it("All with a warm-up: the proxies' cluster has load_balancing_policy least_request FULL_SCAN with that slow start", async () => {
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { leastRequest: { choices: "All" }, warmupDuration: "45s" } });
    const t = await traceWhen(
      (x) => proxyHops(x).every((hop) => JSON.stringify(hop.lb.loadBalancingPolicy ?? {}).includes("FULL_SCAN")),
      "FULL_SCAN on every proxy",
    );
    for (const hop of proxyHops(t)) {
      const policy = JSON.stringify(hop.lb.loadBalancingPolicy);
      expect(policy).toContain("envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest");
      expect(policy).toContain('"selectionMethod":"FULL_SCAN"');
      expect(policy).toContain('"slowStartWindow":"45s"');
      // MERGE appended the full scan to istiod's list: it must be the only policy, or MERGE_AND_REPLACE_LIST is
      // needed (docs/api.md, "Why MERGE").
      expect((hop.lb.loadBalancingPolicy as { policies?: unknown[] }).policies).toHaveLength(1);
    }
    expect(t.hops[0]!.lb.loadBalancingPolicy).toBeUndefined();
  });

  it("back to the default: the EnvoyFilter goes, and the proxies return to two choices", async () => {
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { leastRequest: null, warmupDuration: null } });
    await waitFor(async () => (await get("networking.istio.io/v1alpha3", "EnvoyFilter", h.ns, "ps-s0")) === undefined, { description: "the EnvoyFilter deleted" });
    const t = await traceWhen(
      (x) => proxyHops(x).every((hop) => hop.lb.choiceCount === 2 && hop.lb.loadBalancingPolicy === undefined),
      "two choices on every proxy",
    );
    for (const hop of proxyHops(t)) expect(hop.lb.slowStart).toBeUndefined();
  });
});
