import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/api/defaults.js";
import { hiddenPrincipalsCondition, peerIdentities, proxyPrincipal, selectsWorkload, type AuthorizationPolicy, type HiddenPrincipalsInput } from "../../src/api/hidden-principals.js";
import type { CallerTlsMode } from "../../src/api/types.js";

const proxyService = (mode: CallerTlsMode = "DISABLE") =>
  withDefaults({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0", namespace: "shop" }, spec: { serviceName: "sn0", callerTls: { mode } } });
const appPod = { app: "s0", "pod-template-hash": "abc" };
const own = "cluster.local/ns/shop/sa/ps-s0";
const caller = "cluster.local/ns/web/sa/caller";
const onProxies = { matchLabels: { "proxyservice.msvcbench.io/proxy": "shop.ps-s0" } };

type Spec = NonNullable<AuthorizationPolicy["spec"]>;
/** An AuthorizationPolicy in `namespace` (shop unless given), selecting app=s0 unless `extra` says otherwise, with one `from` source. */
const policy = (name: string, source: Record<string, string[]>, extra: Partial<Spec> = {}, namespace = "shop"): AuthorizationPolicy => ({
  metadata: { name, namespace },
  spec: { selector: { matchLabels: { app: "s0" } }, action: "ALLOW", rules: [{ from: [{ source }] }], ...extra },
});
const input = (policies: AuthorizationPolicy[], mode: CallerTlsMode = "DISABLE", targetPodLabels: HiddenPrincipalsInput["targetPodLabels"] = [appPod]): HiddenPrincipalsInput => ({
  proxyService: proxyService(mode),
  targetPodLabels,
  policies,
});
const condition = (policies: AuthorizationPolicy[], mode: CallerTlsMode = "DISABLE") => hiddenPrincipalsCondition(input(policies, mode), 1);

// The documented way (docs/api.md, "Authorization by caller identity"): callers at the proxies, the proxies (and the callers) on the app.
const documented = [
  policy("app-callers", { principals: [caller, own] }),
  policy("proxy-callers", { principals: [caller] }, { selector: onProxies }),
];

describe("proxyPrincipal", () => {
  it("is the proxies' ServiceAccount (named after the ProxyService) in the trust domain", () => {
    expect(proxyPrincipal(proxyService())).toBe(own);
    expect(proxyPrincipal(proxyService(), "corp.example")).toBe("corp.example/ns/shop/sa/ps-s0");
  });
});

describe("selectsWorkload, as istiod attaches a policy to a workload", () => {
  it("attaches a policy of the pod's namespace whose selector is a subset of the pod's labels", () => {
    expect(selectsWorkload(policy("p", {}), "shop", appPod)).toBe(true);
    expect(selectsWorkload(policy("p", {}, { selector: { matchLabels: { app: "s0", version: "v2" } } }), "shop", appPod)).toBe(false);
  });

  it("attaches a policy without a selector to every pod of its namespace, and a root namespace's to every namespace", () => {
    expect(selectsWorkload(policy("p", {}, { selector: undefined }), "shop", appPod)).toBe(true);
    expect(selectsWorkload(policy("p", {}, {}, "istio-system"), "shop", appPod)).toBe(true);
    expect(selectsWorkload(policy("p", {}, {}, "mesh-root"), "shop", appPod, "mesh-root")).toBe(true);
  });

  it("does not attach a policy of another namespace, nor one with targetRefs (Gateway API gateways and waypoints only)", () => {
    expect(selectsWorkload(policy("p", {}, {}, "other"), "shop", appPod)).toBe(false);
    expect(selectsWorkload(policy("p", {}, { selector: undefined, targetRefs: [{ kind: "Service", name: "sn0" }] }), "shop", appPod)).toBe(false);
    expect(selectsWorkload(policy("p", {}, { selector: undefined, targetRef: { kind: "Service", name: "sn0" } }), "shop", appPod)).toBe(false);
  });
});

describe("peerIdentities", () => {
  it("lists principals, namespaces, service accounts (as principals) and trust domains, negated or not, and from `when`", () => {
    const p = policy("p", {}, {
      rules: [
        { from: [{ source: { principals: [caller], notNamespaces: ["dev"], serviceAccounts: ["web/front", "back"], trustDomains: ["other.td"] } }] },
        { when: [{ key: "source.principal", notValues: ["cluster.local/ns/web/sa/bad"] }, { key: "request.headers[x]", values: ["y"] }] },
      ],
    });
    expect(peerIdentities(p)).toEqual([caller, "not namespace dev", "cluster.local/ns/web/sa/front", "cluster.local/ns/shop/sa/back", "trust domain other.td", "not cluster.local/ns/web/sa/bad"]);
  });

  it("ignores what passes the proxies unchanged: request principals (JWT), claims, headers", () => {
    const p = policy("p", { requestPrincipals: ["issuer/subject"] }, { rules: [{ from: [{ source: { requestPrincipals: ["issuer/subject"] } }], when: [{ key: "request.auth.claims[group]", values: ["admin"] }] }] });
    expect(peerIdentities(p)).toEqual([]);
  });
});

describe("hiddenPrincipalsCondition", () => {
  it("is False (PrincipalsHidden) for a policy on the target's pods allowing a caller: it denies everything through the proxies; the message names it and the fix", () => {
    const c = hiddenPrincipalsCondition(input([policy("allow-caller", { principals: [caller] })]), 4);
    expect(c).toMatchObject({ type: "CallerIdentity", status: "False", reason: "PrincipalsHidden", observedGeneration: 4 });
    expect(c.message).toContain(`AuthorizationPolicy "shop/allow-caller" matches callers by "${caller}" and denies every request that comes through the proxies`);
    expect(c.message).toContain("set spec.callerTls.mode: ISTIO_MUTUAL");
    expect(c.message).toContain("in an AuthorizationPolicy selecting the proxy pods (proxyservice.msvcbench.io/proxy: shop.ps-s0)");
    expect(c.message).toContain(`allow "${own}" on the target's pods`);
    expect(c.message).toContain("(docs/api.md#authorization-by-caller-identity)");
  });

  it("is False when the app also allows the proxies but nothing enforces the callers at the proxies: everyone gets through them", () => {
    const c = condition([policy("app-callers", { principals: [caller, own] })], "ISTIO_MUTUAL");
    expect(c.status).toBe("False");
    expect(c.message).toContain(`sees every request that comes through the proxies as "${own}", so it cannot tell their callers apart`);
    expect(c.message).not.toContain("set spec.callerTls.mode");
  });

  it("is True (NoHiddenPrincipals) for the documented way under ISTIO_MUTUAL: callers enforced at the proxies, the proxies allowed on the app", () => {
    expect(hiddenPrincipalsCondition(input(documented, "ISTIO_MUTUAL"), 2)).toMatchObject({ type: "CallerIdentity", status: "True", reason: "NoHiddenPrincipals", observedGeneration: 2 });
    expect(condition([policy("only-proxies", { principals: [own] })], "ISTIO_MUTUAL").status).toBe("True");
  });

  it("is False for the documented way under DISABLE: plain-text callers present no certificate the proxies could check", () => {
    const c = condition(documented, "DISABLE");
    expect(c.status).toBe("False");
    expect(c.message).toContain("set spec.callerTls.mode: ISTIO_MUTUAL");
  });

  it("is False when the proxies' policy misses one of the app's callers, or has another action", () => {
    const second = "cluster.local/ns/web/sa/second";
    expect(condition([policy("app", { principals: [caller, second, own] }), policy("proxies", { principals: [caller] }, { selector: onProxies })], "ISTIO_MUTUAL").status).toBe("False");
    expect(condition([policy("app-deny", { principals: [caller] }, { action: "DENY" }), policy("own", { principals: [own] }), policy("proxies", { principals: [caller] }, { selector: onProxies })], "ISTIO_MUTUAL").status).toBe("False");
    expect(condition([policy("app-deny", { principals: [caller] }, { action: "DENY" }), policy("own", { principals: [own] }), policy("proxies", { principals: [caller] }, { selector: onProxies, action: "DENY" })], "ISTIO_MUTUAL").status).toBe("True");
  });

  it("counts a namespace-wide policy at both ends (istiod attaches it to the proxies too)", () => {
    const c = condition([policy("ns-wide", { principals: [caller] }, { selector: undefined }), policy("own", { principals: [own] })], "ISTIO_MUTUAL");
    expect(c.status).toBe("True");
  });

  it('treats "*" (any mTLS peer) as hidden under DISABLE, where plain-text callers arrive as the proxies, and kept under ISTIO_MUTUAL', () => {
    const requireMtls = [policy("require-mtls", { principals: ["*"] })];
    expect(condition(requireMtls, "DISABLE").status).toBe("False");
    expect(condition(requireMtls, "ISTIO_MUTUAL").status).toBe("True");
  });

  it("names every offending policy, sorted, including DENY ones and the root namespace's", () => {
    const c = condition([policy("z-deny", { principals: ["cluster.local/ns/web/sa/bad"] }, { action: "DENY" }), policy("mesh-wide", { namespaces: ["web"] }, { selector: undefined }, "istio-system")]);
    expect(c.status).toBe("False");
    expect(c.message).toMatch(/^AuthorizationPolicy "istio-system\/mesh-wide" matches callers by "namespace web" and .*; AuthorizationPolicy "shop\/z-deny" matches callers by "cluster.local\/ns\/web\/sa\/bad" and sees/);
  });

  it("is True for policies that do not reach the target's pods: other labels, other namespaces, targetRefs, AUDIT", () => {
    const c = condition([
      policy("on-proxies", { principals: [caller] }, { selector: onProxies }),
      policy("elsewhere", { principals: [caller] }, {}, "web"),
      policy("gateway-api", { principals: [caller] }, { selector: undefined, targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }] }),
      policy("audit", { principals: [caller] }, { action: "AUDIT" }),
    ]);
    expect(c.status).toBe("True");
  });

  it("matches a policy against any one of the target's pods", () => {
    const v2 = policy("v2-only", { principals: [caller] }, { selector: { matchLabels: { app: "s0", version: "v2" } } });
    expect(hiddenPrincipalsCondition(input([v2], "DISABLE", [appPod]), 1).status).toBe("True");
    expect(hiddenPrincipalsCondition(input([v2], "DISABLE", [appPod, { ...appPod, version: "v2" }]), 1).status).toBe("False");
  });

  it("is Unknown while no labels of the target's pods are known", () => {
    expect(hiddenPrincipalsCondition(input([policy("p", { principals: [caller] })], "DISABLE", []), 1)).toMatchObject({ status: "Unknown", reason: "NoHiddenPrincipals" });
  });

  it("uses the mesh's trust domain for the proxies' principal", () => {
    const p = policy("only-proxies", { principals: ["corp.example/ns/shop/sa/ps-s0"] });
    expect(hiddenPrincipalsCondition({ ...input([p], "ISTIO_MUTUAL"), trustDomain: "corp.example" }, 1).status).toBe("True");
    expect(condition([p], "ISTIO_MUTUAL").status).toBe("False");
  });
});
