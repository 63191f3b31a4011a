import { ConditionTypes, Reasons, type ConditionInput } from "./conditions.js";
import { Labels, ownedLabelsOf, proxyPodSelector, proxySelectorValue } from "./labels.js";
import type { DefaultedProxyService } from "./types.js";

// Behind a ProxyService the application's sidecars see every request arrive from a proxy, over the
// proxy's own Istio mTLS: the peer identity an AuthorizationPolicy on the application matches is the
// proxies' ServiceAccount, never the caller's (test/integration/istio/authorization.test.ts shows it in
// what istiod sends). A rule on the application that names callers' identities then denies everyone,
// or, once it also admits the proxies, admits everyone through them, unless the proxies enforce the
// callers' identities themselves (callerTls ISTIO_MUTUAL and a policy on the proxy pods). This module
// finds the policies for which that is not so.

import { DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN } from "./mesh.js";
import { compareCodeUnits } from "./order.js";

export { DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN };
/** Where docs/api.md explains the fix; every warning links to it. */
export const CALLER_IDENTITY_DOCS = "docs/api.md#authorization-by-caller-identity";

/** The fields of an Istio AuthorizationPolicy (security.istio.io/v1) that decide what it matches on. */
export interface AuthorizationPolicy {
  readonly metadata: { readonly name?: string; readonly namespace?: string };
  readonly spec?: {
    readonly action?: string;
    readonly selector?: { readonly matchLabels?: Readonly<Record<string, string>> };
    readonly targetRef?: unknown;
    readonly targetRefs?: readonly unknown[];
    readonly rules?: readonly {
      readonly from?: readonly { readonly source?: Readonly<Record<string, readonly string[] | undefined>> }[];
      readonly when?: readonly { readonly key: string; readonly values?: readonly string[]; readonly notValues?: readonly string[] }[];
    }[];
  };
}

export interface HiddenPrincipalsInput {
  /** The ProxyService, defaults filled in. */
  readonly proxyService: DefaultedProxyService;
  /**
   * The label sets of the target's pods (one per pod, duplicates allowed). When only the target
   * Service's selector is known, pass it as the one entry: a policy whose selector has labels the
   * Service's selector lacks is then missed.
   */
  readonly targetPodLabels: readonly Readonly<Record<string, string>>[];
  /** The AuthorizationPolicies of the ProxyService's namespace and of the mesh's root namespace. */
  readonly policies: readonly AuthorizationPolicy[];
  /** Mesh config's rootNamespace (DEFAULT_ROOT_NAMESPACE unless changed). */
  readonly rootNamespace?: string;
  /** Mesh config's trustDomain (DEFAULT_TRUST_DOMAIN unless changed). */
  readonly trustDomain?: string;
}

// Source fields and `when` keys that istiod turns into a match on the peer's certificate
// (pilot/pkg/security/authz/model in istio/istio); request principals (JWT) and headers pass the proxy.
type IdentityKind = "principal" | "namespace" | "serviceAccount" | "trustDomain";
const SOURCE_FIELDS: Readonly<Record<string, readonly [IdentityKind, boolean]>> = {
  principals: ["principal", false],
  notPrincipals: ["principal", true],
  namespaces: ["namespace", false],
  notNamespaces: ["namespace", true],
  serviceAccounts: ["serviceAccount", false],
  notServiceAccounts: ["serviceAccount", true],
  trustDomains: ["trustDomain", false],
  notTrustDomains: ["trustDomain", true],
};
const WHEN_KEYS: Readonly<Record<string, IdentityKind>> = {
  "source.principal": "principal",
  "source.namespace": "namespace",
  "source.serviceAccount": "serviceAccount",
  "source.trustDomain": "trustDomain",
};

/** The principal of the proxy pods: their ServiceAccount is named after the ProxyService (src/render/service-account.ts). */
export function proxyPrincipal(proxyService: DefaultedProxyService, trustDomain = DEFAULT_TRUST_DOMAIN): string {
  return `${trustDomain}/ns/${proxyService.metadata.namespace}/sa/${proxyService.metadata.name}`;
}

/**
 * Labels every proxy pod of the ProxyService carries (src/render/deployment.ts sets these and more),
 * so a policy whose selector is a subset of them surely selects the proxies.
 */
function knownProxyPodLabels(proxyService: DefaultedProxyService): Record<string, string> {
  const { name, namespace } = proxyService.metadata;
  return { ...ownedLabelsOf(name), ...proxyPodSelector(namespace, name) };
}

/**
 * Whether istiod attaches the policy to a sidecar or Istio-gateway workload with these labels in
 * `namespace`, as its WorkloadPolicyMatcher does: the policy is in that namespace or the root namespace,
 * has no targetRef (those attach to Gateway API gateways and waypoints only), and its selector, if any,
 * is a subset of the labels.
 */
export function selectsWorkload(policy: AuthorizationPolicy, namespace: string, labels: Readonly<Record<string, string>>, rootNamespace = DEFAULT_ROOT_NAMESPACE): boolean {
  const ns = policy.metadata.namespace;
  if (ns !== namespace && ns !== rootNamespace) return false;
  const spec = policy.spec ?? {};
  if (spec.targetRef !== undefined || (spec.targetRefs?.length ?? 0) > 0) return false;
  return Object.entries(spec.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * The peer identities a policy's rules match on, each as one readable string ("cluster.local/ns/web/sa/caller",
 * "namespace web", "not trust domain x"; a service account is written as its principal). Deterministic.
 */
export function peerIdentities(policy: AuthorizationPolicy, trustDomain = DEFAULT_TRUST_DOMAIN): string[] {
  const policyNamespace = policy.metadata.namespace ?? "";
  const describe = (kind: IdentityKind, value: string, negated: boolean): string => {
    const not = negated ? "not " : "";
    if (kind === "principal") return `${not}${value}`;
    if (kind === "namespace") return `${not}namespace ${value}`;
    if (kind === "trustDomain") return `${not}trust domain ${value}`;
    // `<name>` or `<namespace>/<name>`, the namespace defaulting to the policy's (as istiod reads it)
    const [ns, sa] = value.includes("/") ? value.split("/", 2) : [policyNamespace, value];
    return `${not}${trustDomain}/ns/${ns}/sa/${sa}`;
  };
  const found = new Set<string>();
  const add = (kind: IdentityKind | undefined, values: readonly string[] | undefined, negated: boolean) => {
    if (kind !== undefined) for (const v of values ?? []) found.add(describe(kind, v, negated));
  };
  for (const rule of policy.spec?.rules ?? []) {
    for (const from of rule.from ?? []) for (const [field, values] of Object.entries(from.source ?? {})) add(SOURCE_FIELDS[field]?.[0], values, SOURCE_FIELDS[field]?.[1] ?? false);
    for (const when of rule.when ?? []) {
      add(WHEN_KEYS[when.key], when.values, false);
      add(WHEN_KEYS[when.key], when.notValues, true);
    }
  }
  return [...found];
}

/** "*" (any mTLS peer, or with "not " none): kept under ISTIO_MUTUAL, where the proxies admit only mTLS callers. */
const isAnyPeer = (identity: string): boolean => /^(not )?((namespace|trust domain) )?\*$/.test(identity);

interface Finding {
  readonly policy: string;
  readonly hidden: readonly string[];
  readonly problem: string;
}

/**
 * The CallerIdentity condition. False (PrincipalsHidden) for each ALLOW, DENY or CUSTOM policy that istiod
 * attaches to the target's pods and that matches on callers' identities other than the proxies' own
 * principal, unless those identities are enforced at the proxies: callerTls ISTIO_MUTUAL, a policy of the
 * same action on the proxy pods naming every one of them, and (for ALLOW) the proxies' principal allowed on
 * the target's pods. The message names each policy (namespace/name), its identities, what goes wrong and
 * the fix. True (NoHiddenPrincipals) otherwise; Unknown while no target pod labels are known. A warning
 * only: it never changes Ready. Pure and deterministic (policies are reported sorted by name).
 */
export function hiddenPrincipalsCondition(input: HiddenPrincipalsInput, observedGeneration: number): ConditionInput {
  const { proxyService, targetPodLabels, policies } = input;
  const rootNamespace = input.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const trustDomain = input.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const namespace = proxyService.metadata.namespace;
  const base = { type: ConditionTypes.CallerIdentity, observedGeneration } as const;
  const target = `target "${proxyService.spec.target}"`;
  if (targetPodLabels.length === 0) {
    return { ...base, status: "Unknown", reason: Reasons.NoHiddenPrincipals, message: `no pod labels known for the ${target}; nothing to judge yet` };
  }
  const own = proxyPrincipal(proxyService, trustDomain);
  const mutual = proxyService.spec.callerTls.mode === "ISTIO_MUTUAL";
  const action = (p: AuthorizationPolicy) => p.spec?.action ?? "ALLOW";
  const deciding = policies.filter((p) => action(p) !== "AUDIT"); // AUDIT only logs: it decides nothing
  const onTarget = deciding.filter((p) => targetPodLabels.some((labels) => selectsWorkload(p, namespace, labels, rootNamespace)));
  const onProxies = deciding.filter((p) => selectsWorkload(p, namespace, knownProxyPodLabels(proxyService), rootNamespace));
  const proxiesAllowed = onTarget.some((p) => action(p) === "ALLOW" && peerIdentities(p, trustDomain).includes(own));

  const findings: Finding[] = [];
  for (const p of onTarget) {
    const hidden = peerIdentities(p, trustDomain).filter((id) => id !== own && !(mutual && isAnyPeer(id)));
    if (hidden.length === 0) continue;
    const enforcedAtProxies = mutual && onProxies.some((q) => action(q) === action(p) && hidden.every((id) => peerIdentities(q, trustDomain).includes(id)));
    const policy = `${p.metadata.namespace}/${p.metadata.name}`;
    if (action(p) === "ALLOW" && !proxiesAllowed) findings.push({ policy, hidden, problem: "denies every request that comes through the proxies" });
    else if (!enforcedAtProxies) findings.push({ policy, hidden, problem: `sees every request that comes through the proxies as "${own}", so it cannot tell their callers apart` });
  }
  if (findings.length === 0) {
    return { ...base, status: "True", reason: Reasons.NoHiddenPrincipals, message: `no AuthorizationPolicy on the pods of the ${target} depends on callers' identities that the proxies hide` };
  }
  findings.sort((a, b) => compareCodeUnits(a.policy, b.policy));
  const named = findings.map((f) => `AuthorizationPolicy "${f.policy}" matches callers by ${f.hidden.map((h) => `"${h}"`).join(", ")} and ${f.problem}`).join("; ");
  const proxyLabel = `${Labels.proxy}: ${proxySelectorValue(namespace, proxyService.metadata.name)}`;
  const steps = [
    ...(mutual ? [] : ["set spec.callerTls.mode: ISTIO_MUTUAL"]),
    `enforce those identities in an AuthorizationPolicy selecting the proxy pods (${proxyLabel})`,
    `allow "${own}" on the target's pods`,
  ];
  return { ...base, status: "False", reason: Reasons.PrincipalsHidden, message: `${named}; ${steps.join(", ")} (${CALLER_IDENTITY_DOCS})` };
}
