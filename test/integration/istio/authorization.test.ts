import { beforeAll, describe, expect, it } from "vitest";
import { useOperator } from "../operator/harness.js";
import { admin, get, mergePatch, pathOf } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { isReadyPod, pods, setUpPublishedExample, traceThroughProxies, xds, type Hop, type Trace } from "./support.js";

// Issue 9, 4.6: identity-based AuthorizationPolicies behind a ProxyService, as the real istiod programs them.
// What the application's inbound RBAC filter receives from a policy naming callers, which identity the
// proxies reach it with, and the documented way (docs/api.md, "Authorization by caller identity"): the
// callers' principals enforced at the proxies under callerTls ISTIO_MUTUAL, the proxies' principal allowed
// on the application; and why that needs ISTIO_MUTUAL. Each describe has its own namespace.

type Json = Record<string, unknown>;
type Snapshot = Awaited<ReturnType<typeof xds>>;

/** Every object inside `value`, depth first: protojson is read by shape, not modelled field by field. */
function* objectsIn(value: unknown): Generator<Json> {
  if (Array.isArray(value)) for (const v of value) yield* objectsIn(v);
  else if (value !== null && typeof value === "object") {
    yield value as Json;
    for (const v of Object.values(value)) yield* objectsIn(v);
  }
}

/** The filter chain `chain` of listener `listener` as istiod sent it. */
function chainOf(snapshot: Snapshot, listener: string, chain: string): Json {
  const l = snapshot.listeners.find((x) => x.name === listener);
  const fc = [...((l?.filterChains as Json[] | undefined) ?? []), ...(l?.defaultFilterChain ? [l.defaultFilterChain as Json] : [])].find((x) => (x.name ?? "") === chain); // protojson leaves out an empty name, as a gateway chain's is
  if (!fc) throw new Error(`no filter chain ${chain} in listener ${listener}: ${JSON.stringify(l?.filterChains)}`);
  return fc;
}

/** One RBAC filter of a chain: the filter's name, its action, and the peer principals its rules name. */
interface RbacFilter {
  filter: string;
  action: string;
  /** `authenticated.principalName.exact` of every principal, sorted: what a peer's certificate must say. */
  principals: string[];
  /** The kinds of principal matchers at the leaves (`authenticated`, `any`, `directRemoteIp`, ...). */
  matchers: string[];
}

const RBAC_FILTERS = ["envoy.filters.network.rbac", "envoy.filters.http.rbac"];
const COMBINATORS = new Set(["andIds", "orIds", "notId", "ids"]);

/** The network RBAC filters of a chain and the HTTP RBAC filters of its connection manager. */
function rbacFiltersOf(chain: Json): RbacFilter[] {
  const filters = (chain.filters as Json[] | undefined) ?? [];
  const http = filters.flatMap((f) => ((f.typedConfig as Json | undefined)?.httpFilters as Json[] | undefined) ?? []);
  return [...filters, ...http]
    .filter((f) => RBAC_FILTERS.includes(f.name as string))
    .map((f) => {
      const rules = ((f.typedConfig as Json).rules ?? {}) as Json;
      const principalTrees = Object.values((rules.policies ?? {}) as Record<string, Json>).flatMap((p) => (p.principals as Json[] | undefined) ?? []);
      const found = [...objectsIn(principalTrees)];
      return {
        filter: f.name as string,
        action: (rules.action as string | undefined) ?? "ALLOW", // protojson leaves out the enum's zero, ALLOW
        principals: [...new Set(found.map((o) => ((o.authenticated as Json | undefined)?.principalName as Json | undefined)?.exact as string | undefined).filter((x): x is string => x !== undefined))].sort(),
        matchers: [...new Set(found.flatMap((o) => Object.keys(o)).filter((k) => !COMBINATORS.has(k) && k !== "principalName" && k !== "exact"))].sort(),
      };
    });
}

/** Every SPIFFE ID in a cluster's transport sockets: the identities the proxy verifies its upstream peers against. */
function verifiedPeers(clusterRaw: unknown): string[] {
  const ids = [...objectsIn(clusterRaw)].flatMap((o) => Object.values(o).filter((v): v is string => typeof v === "string" && v.startsWith("spiffe://")));
  return [...new Set(ids)].sort();
}

/** The SDS secrets a cluster presents as its own certificate (Istio's "default": the workload's own identity). */
function presentedCertificates(clusterRaw: unknown): string[] {
  const configs = [...objectsIn(clusterRaw)].flatMap((o) => (o.tlsCertificateSdsSecretConfigs as Json[] | undefined) ?? []);
  return [...new Set(configs.map((c) => c.name as string))].sort();
}

/** The cluster a hop sends the request to, as istiod sent it (trace's clusterRaw). */
const clusterOf = (hop: Hop): unknown => (hop as Hop & { clusterRaw?: unknown }).clusterRaw;

/** Applies an AuthorizationPolicy (security.istio.io/v1) with server-side apply. */
async function applyPolicy(namespace: string, name: string, spec: Json): Promise<void> {
  await admin.request("PATCH", pathOf("security.istio.io/v1", "authorizationpolicies", namespace, name), {
    query: { fieldManager: "integration-test", force: true },
    body: { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec },
    contentType: "application/apply-patch+yaml",
  });
}

/** A sidecar-injected client pod running as its own ServiceAccount `name`, once Ready; returns "ns/name". */
async function createCallerAs(namespace: string, name: string): Promise<string> {
  await admin.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts`, { body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } } });
  await admin.request("POST", `/api/v1/namespaces/${namespace}/pods`, {
    body: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: { app: name } },
      spec: { serviceAccountName: name, containers: [{ name: "curl", image: "curlimages/curl:8.10.1", command: ["sleep", "infinity"] }] },
    },
  });
  await waitFor(async () => (await pods(namespace, `app=${name}`)).some(isReadyPod), { timeout: 60_000, description: `pod ${namespace}/${name} Ready` });
  return `${namespace}/${name}`;
}

const spiffe = (principal: string) => `spiffe://${principal}`;
const appSelector = { matchLabels: { app: "s0" } };
const allowFrom = (principals: string[], selector: Json) => ({ action: "ALLOW", selector, rules: [{ from: [{ source: { principals } }] }] });

/** Shared by every describe: the published example, its names, and reading what istiod sends to both ends. */
interface Example {
  h: ReturnType<typeof useOperator>;
  /** The published example's caller pod (ServiceAccount default), "ns/caller". */
  caller: string;
  principal: (serviceAccount: string) => string;
  proxySelector: () => Json;
  traceWhen: (accept: (t: Trace) => boolean, description: string, from?: string) => Promise<Trace>;
  appRbac: (proxyHop: Hop) => Promise<RbacFilter[]>;
  proxyRbac: (proxyHop: Hop) => Promise<RbacFilter[]>;
}

function useExample(prefix: string): Example {
  const h = useOperator(prefix);
  const ctx: Example = {
    h,
    caller: "",
    principal: (sa: string) => `cluster.local/ns/${h.ns}/sa/${sa}`,
    proxySelector: () => ({ matchLabels: { "proxyservice.msvcbench.io/proxy": `${h.ns}.ps-s0` } }),
    /** The trace of sn0:80 from `from` through the proxies, once `accept` holds. */
    traceWhen: (accept: (t: Trace) => boolean, description: string, from = ctx.caller) => traceThroughProxies(from, "sn0:80", accept, description),
    /** The RBAC filters on the application pod's inbound chain that accepts the proxy's connection to it. */
    appRbac: async (proxyHop: Hop): Promise<RbacFilter[]> => {
      const e = proxyHop.endpoints[0]!;
      const chain = (e.accept as { name?: string } | null | undefined)?.name;
      if (!e.pod || !chain) throw new Error(`no accepting chain for ${JSON.stringify(e)}`);
      return rbacFiltersOf(chainOf(await xds(e.pod), "virtualInbound", chain));
    },
    /** The RBAC filters on the proxy's listener chain that accepts the caller's connection. */
    proxyRbac: async (proxyHop: Hop): Promise<RbacFilter[]> => rbacFiltersOf(chainOf(await xds(proxyHop.proxy), proxyHop.listener, proxyHop.filterChain!.name)),
  };
  beforeAll(async () => {
    ctx.caller = await setUpPublishedExample(h.ns);
  });
  return ctx;
}

describe("an AuthorizationPolicy on the application that allows callers by principal, behind the proxies", () => {
  const x = useExample("istio-authz-app");

  it("the app's inbound RBAC filter admits only the caller's principal, while the proxies reach the app as their own ServiceAccount; allowing that instead leaves the proxies' listener without any RBAC filter", async () => {
    const trusted = x.principal("trusted");
    await applyPolicy(x.h.ns, "allow-trusted", allowFrom([trusted], appSelector));
    // The caller's endpoints can list the proxies one push before its cluster names the identity it verifies them
    // against (CI saw the app's ServiceAccount there once): wait for the cluster too.
    const proxiesPrincipal = spiffe(x.principal("ps-s0"));
    const t = await x.traceWhen((tr) => verifiedPeers(clusterOf(tr.hops[0]!)).includes(proxiesPrincipal), "a trace through the proxies, verified as the proxies");
    const proxyHop = t.hops[1]!;
    const rbac = await waitFor(async () => {
      const r = await x.appRbac(proxyHop);
      return r.length > 0 ? r : undefined;
    }, { description: "an RBAC filter on the app's inbound chain" });
    expect(rbac).toEqual([{ filter: "envoy.filters.http.rbac", action: "ALLOW", principals: [spiffe(trusted)], matchers: ["authenticated"] }]);

    // Who the app sees: the proxies' cluster to the app presents the proxy pod's own certificate ("default",
    // minted for its ServiceAccount), and istiod knows sn0's endpoints, the proxies, as that ServiceAccount.
    const proxyPods = await pods(x.h.ns, `proxyservice.msvcbench.io/proxy=${x.h.ns}.ps-s0`);
    expect(proxyPods.map((p) => (p.spec as { serviceAccountName?: string }).serviceAccountName)).toEqual(proxyPods.map(() => "ps-s0"));
    expect(presentedCertificates(clusterOf(proxyHop))).toEqual(["default"]);
    expect(verifiedPeers(clusterOf(t.hops[0]!))).toEqual([proxiesPrincipal]);
    expect(verifiedPeers(clusterOf(proxyHop))).toEqual([spiffe(x.principal("default"))]); // the app's own ServiceAccount
    expect(rbac[0]!.principals).not.toContain(spiffe(x.principal("ps-s0"))); // so the app denies every request through the proxies

    // The tempting fix, allowing the proxies on the app, lets everyone in through them: nothing checks callers at the proxies.
    await applyPolicy(x.h.ns, "allow-trusted", allowFrom([trusted, x.principal("ps-s0")], appSelector));
    const both = await waitFor(async () => {
      const r = await x.appRbac(proxyHop);
      return r[0]?.principals.length === 2 ? r : undefined;
    }, { description: "the app's RBAC filter with the proxies' principal too" });
    expect(both[0]!.principals).toEqual([spiffe(x.principal("ps-s0")), spiffe(trusted)]);
    expect(await x.proxyRbac(proxyHop)).toEqual([]);
  });
});

describe("the documented way: callers' principals enforced at the proxies under callerTls ISTIO_MUTUAL", () => {
  const x = useExample("istio-authz-mutual");

  it("the proxies' mTLS listener chain gets an HTTP RBAC filter with the callers' principals, and the app's filter admits the proxies' principal", async () => {
    const trusted = await createCallerAs(x.h.ns, "trusted");
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", x.h.ns, "ps-s0", { spec: { callerTls: { mode: "ISTIO_MUTUAL" } } });
    await applyPolicy(x.h.ns, "proxies-allow-callers", allowFrom([x.principal("trusted")], x.proxySelector()));
    await applyPolicy(x.h.ns, "app-allow-callers", allowFrom([x.principal("trusted"), x.principal("ps-s0")], appSelector));

    // Both ends: the proxies' chain (from the Gateway) and the caller's cluster (from the callers' DestinationRule)
    // reach the caller's view in separate pushes.
    const t = await x.traceWhen(
      (tr) => tr.hops[0]?.tls.mode === "tls" && tr.hops.slice(1).every((hop) => hop.filterChain?.requireClientCertificate === true),
      "mTLS from the caller to the proxies",
      trusted,
    );
    for (const hop of t.hops.slice(1)) {
      const atProxy = await waitFor(async () => {
        const r = await x.proxyRbac(hop);
        return r.length > 0 ? r : undefined;
      }, { description: `an RBAC filter on ${hop.proxy}'s listener` });
      expect(hop.filterChain).toMatchObject({ tls: true, requireClientCertificate: true });
      expect(atProxy).toEqual([{ filter: "envoy.filters.http.rbac", action: "ALLOW", principals: [spiffe(x.principal("trusted"))], matchers: ["authenticated"] }]);
      // the caller pod `caller` (ServiceAccount default) is not among them: the proxy denies it
      expect(atProxy[0]!.principals).not.toContain(spiffe(x.principal("default")));
    }
    const atApp = await waitFor(async () => {
      const r = await x.appRbac(t.hops[1]!);
      return r.length > 0 ? r : undefined;
    }, { description: "an RBAC filter on the app's inbound chain" });
    expect(atApp).toEqual([{ filter: "envoy.filters.http.rbac", action: "ALLOW", principals: [spiffe(x.principal("ps-s0")), spiffe(x.principal("trusted"))], matchers: ["authenticated"] }]);
    // the caller's sidecar presents its own certificate to the proxies, so the proxies' RBAC filter sees its principal
    expect(t.hops[0]!.tls.mode).toBe("tls");
    expect(presentedCertificates(clusterOf(t.hops[0]!))).toEqual(["default"]);
  });
});

describe("callerTls DISABLE: a principal rule at the proxies cannot match", () => {
  const x = useExample("istio-authz-plain");

  it("the proxies' listener gets the RBAC filter, but on a plain-text chain: no client certificate, so the principal matcher never matches and every caller is denied", async () => {
    await applyPolicy(x.h.ns, "proxies-allow-callers", allowFrom([x.principal("trusted")], x.proxySelector()));
    const t = await x.traceWhen(() => true, "a trace through the proxies");
    for (const hop of t.hops.slice(1)) {
      const atProxy = await waitFor(async () => {
        const r = await x.proxyRbac(hop);
        return r.length > 0 ? r : undefined;
      }, { description: `an RBAC filter on ${hop.proxy}'s listener` });
      expect(atProxy).toEqual([{ filter: "envoy.filters.http.rbac", action: "ALLOW", principals: [spiffe(x.principal("trusted"))], matchers: ["authenticated"] }]);
      expect(hop.filterChain).toMatchObject({ tls: false, requireClientCertificate: false });
      expect(chainOf(await xds(hop.proxy), hop.listener, hop.filterChain!.name).transportSocket).toBeUndefined();
    }
    expect(t.hops[0]!.endpoints.every((e) => e.tls === "plaintext")).toBe(true);
  });
});

describe("targetRefs do not reach the proxies", () => {
  const x = useExample("istio-authz-refs");

  it("istiod attaches a policy with targetRefs to the Istio Gateway, or to a Gateway API Gateway of that name, to no proxy; a selector on the proxy label reaches them", async () => {
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", x.h.ns, "ps-s0", { spec: { callerTls: { mode: "ISTIO_MUTUAL" } } });
    expect(await get("networking.istio.io/v1", "Gateway", x.h.ns, "ps-s0")).toBeDefined();
    const refs = [
      { group: "networking.istio.io", kind: "Gateway", name: "ps-s0" },
      { group: "gateway.networking.k8s.io", kind: "Gateway", name: "ps-s0" },
    ];
    for (const [i, ref] of refs.entries()) await applyPolicy(x.h.ns, `by-ref-${i}`, { action: "ALLOW", targetRefs: [ref], rules: [{ from: [{ source: { principals: [x.principal(`by-ref-${i}`)] } }] }] });
    // Applied after the targetRefs policies: once istiod shows it, it has seen them too (one informer, in order).
    await applyPolicy(x.h.ns, "by-selector", allowFrom([x.principal("by-selector")], x.proxySelector()));
    const t = await x.traceWhen((tr) => tr.hops.slice(1).every((hop) => hop.filterChain?.tls === true), "mTLS at the proxies");
    for (const hop of t.hops.slice(1)) {
      const atProxy = await waitFor(async () => {
        const r = await x.proxyRbac(hop);
        return r.length > 0 ? r : undefined;
      }, { description: `an RBAC filter on ${hop.proxy}'s listener` });
      expect(atProxy.map((r) => r.principals)).toEqual([[spiffe(x.principal("by-selector"))]]);
    }
  });
});
