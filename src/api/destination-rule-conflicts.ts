import { DEFAULT_ROOT_NAMESPACE, serviceFqdn as fqdn } from "./mesh.js";
import { DEFAULT_CHOICES } from "./rules.js";
import { ConditionTypes, Reasons, type ConditionInput } from "./conditions.js";
import type { DefaultedProxyService } from "./types.js";
import { compareCodeUnits } from "./order.js";

// Which DestinationRule a proxy gets for a host is istiod's choice, not ours, and a user's rule for the
// target's host or for spec.serviceName's host can take our place. This module replays that choice as the
// istiod of hack/istio (istio.io/istio v0.0.0-20260827124520-eed52ebb66ad) makes it, and reports only the
// rules that change what we configure. test/integration/istio/user-destination-rule.test.ts shows each rule
// below in what istiod sends; the source is pilot/pkg/model in istio/istio:
// - push_context.go setDestinationRules: rules with a workloadSelector sort first, then by creation time,
//   then name. A rule enters its namespace's own index unless exportTo leaves that namespace out, and the
//   exported index of its namespace unless it is private; a rule with a workloadSelector is always private.
// - destination_rule.go mergeDestinationRule: rules for one host in one index merge only when their
//   exportTo sets are equal (ENABLE_ENHANCED_DESTINATIONRULE_MERGE, on by default); then the first rule
//   that has a trafficPolicy keeps all of it (not field by field). A rule without a selector merges into an
//   earlier one with a selector and is then no entry of its own. Rules that do not merge stay side by side.
// - push_context.go destinationRule: the client's namespace first, then the Service's namespace
//   (exported rules), then the root namespace; exact host before the most specific wildcard.
// - sidecar.go DestinationRule: the first entry whose selector matches the workload, else the LAST entry
//   without a selector.

/** The fields of a networking.istio.io DestinationRule that decide which one istiod picks and what it changes. */
export interface DestinationRuleLike {
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly creationTimestamp?: string | Date };
  readonly spec?: {
    readonly host?: string;
    readonly exportTo?: readonly string[];
    readonly workloadSelector?: { readonly matchLabels?: Readonly<Record<string, string>> };
    readonly trafficPolicy?: TrafficPolicyLike;
  };
}

interface TrafficPolicyLike {
  readonly loadBalancer?: { readonly simple?: string };
  readonly tls?: { readonly mode?: string };
  readonly portLevelSettings?: readonly { readonly port?: { readonly number?: number }; readonly tls?: { readonly mode?: string } }[];
}

/** One user DestinationRule that shadows or breaks what the operator configures, for whom, and how to fix it. */
export interface DestinationRuleConflict {
  /** "namespace/name" of the user's DestinationRule. */
  readonly rule: string;
  /** Whose traffic it changes: "the proxies", or callers in some namespace. */
  readonly affects: string;
  readonly problem: string;
  readonly fix: string;
}

export interface DestinationRuleConflictsInput {
  readonly proxyService: DefaultedProxyService;
  /**
   * The DestinationRules the operator renders (desired.destinationRule and, under ISTIO_MUTUAL,
   * desired.callerDestinationRule), with the creationTimestamp of the applied copy when it exists.
   * A rule without one counts as the newest: it is about to be created.
   */
  readonly ownRules: readonly DestinationRuleLike[];
  /** Every other DestinationRule the operator sees, in any namespace (the root namespace's included). */
  readonly userRules: readonly DestinationRuleLike[];
  /** The labels of the proxy pods (desired.proxySelector is enough: istiod matches selectors as subsets). */
  readonly proxyLabels: Readonly<Record<string, string>>;
  /** Mesh config's rootNamespace. */
  readonly rootNamespace?: string;
}

const TLS_MODES = new Set(["SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]);
/** Stands for a namespace that holds no DestinationRule and is named in no exportTo. */
const ANY_OTHER_NAMESPACE = "\u0000";

interface Rule {
  readonly key: string;
  readonly namespace: string;
  readonly host: string;
  readonly exportTo: ReadonlySet<string>;
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly trafficPolicy: TrafficPolicyLike | undefined;
  readonly created: number;
  readonly own: boolean;
}

/** One rule as istiod keeps it after merging: the rules merged into it, in order, and its exportTo. */
interface Entry {
  readonly rules: Rule[];
  readonly exportTo: ReadonlySet<string>;
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly namespace: string;
}

/**
 * The user DestinationRules that take our place for the proxies (host spec.target) or give callers of
 * spec.serviceName a TLS that the proxies' listener does not take, as istiod resolves them. A rule that
 * istiod merges or ignores harmlessly is not listed. Pure and deterministic (sorted by rule, then affects).
 */
export function destinationRuleConflicts(input: DestinationRuleConflictsInput): DestinationRuleConflict[] {
  const root = input.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const rules = sortAsIstiod([...input.ownRules.map((r) => normalize(r, true)), ...input.userRules.map((r) => normalize(r, false))]);
  const found = [...proxyConflicts(input, rules, root), ...callerConflicts(input, rules, root)];
  // One conflict per rule and problem, naming everyone it affects.
  const merged = new Map<string, DestinationRuleConflict>();
  for (const c of found) {
    const key = `${c.rule}\u0000${c.problem}`;
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, c);
    else if (!seen.affects.split(" and ").includes(c.affects)) merged.set(key, { ...seen, affects: `${seen.affects} and ${c.affects}` });
  }
  return [...merged.values()].sort((a, b) => compareCodeUnits(a.rule, b.rule) || compareCodeUnits(a.affects, b.affects));
}

/**
 * The DestinationRules condition: False (DestinationRuleConflict) naming each conflicting rule, whom it
 * affects and the fix; True (NoDestinationRuleConflict) otherwise. A warning only; it never changes Ready. Pure.
 */
export function destinationRuleCondition(input: DestinationRuleConflictsInput, observedGeneration: number): ConditionInput {
  const base = { type: ConditionTypes.DestinationRules, observedGeneration } as const;
  const conflicts = destinationRuleConflicts(input);
  if (conflicts.length === 0) {
    const { spec, metadata } = input.proxyService;
    return {
      ...base,
      status: "True",
      reason: Reasons.NoDestinationRuleConflict,
      message: `istiod gives the proxies this ProxyService's DestinationRule for "${fqdn(spec.target, metadata.namespace)}", and no other DestinationRule changes the TLS of callers of "${fqdn(spec.serviceName, metadata.namespace)}"`,
    };
  }
  const message = conflicts.map((c) => `DestinationRule "${c.rule}" ${c.problem} for ${c.affects}; ${c.fix}`).join(". ");
  return { ...base, status: "False", reason: Reasons.DestinationRuleConflict, message };
}

function proxyConflicts(input: DestinationRuleConflictsInput, rules: readonly Rule[], root: string): DestinationRuleConflict[] {
  const { spec, metadata } = input.proxyService;
  const host = fqdn(spec.target, metadata.namespace);
  const ours = rules.find((r) => r.own && r.host === host && r.namespace === metadata.namespace);
  if (ours === undefined) return [];
  const entries = lookup(rules, metadata.namespace, host, metadata.namespace, root);
  const chosen = select(entries, metadata.namespace, input.proxyLabels);
  const winner = chosen === undefined ? undefined : policyOf(chosen) ?? chosen.rules[0];
  if (winner?.own === true) return [];
  // No entry at all: a rule with a workloadSelector that does not select the proxies absorbed ours.
  const culprit = winner ?? entries.find((e) => e.rules.includes(ours))?.rules.find((r) => !r.own);
  if (culprit === undefined) return [];
  const lost = `spec.loadBalancer ${spec.loadBalancer}, localityLbSetting${spec.warmupDuration === undefined ? "" : ", the warm-up"} and the proxies' Istio mTLS to the application unless it sets its own tls${spec.leastRequest.choices === DEFAULT_CHOICES ? "" : "; spec.leastRequest.choices then patches a cluster that does not balance as asked"}`;
  const problem = chosen === undefined
    ? `has a workloadSelector that does not select the proxies, and istiod merges this ProxyService's DestinationRule "${ours.key}" into it, so the proxies get no DestinationRule for "${host}" (Istio's defaults instead of ${lost})`
    : `takes the place of this ProxyService's DestinationRule "${ours.key}" for "${host}" (${culprit.selector === undefined ? "istiod keeps the last of two rules exported differently, and the first trafficPolicy of two merged ones, whole" : "its workloadSelector selects the proxies"}), so its trafficPolicy replaces ${lost}`;
  const fix = culprit.selector === undefined
    ? `delete it, or set its exportTo to namespaces other than "${metadata.namespace}" so that istiod keeps it away from the proxies`
    : `delete it, or move it to the namespace of the workloads it is meant for (a workloadSelector applies only in its own namespace)`;
  return [{ rule: culprit.key, affects: "the proxies", problem, fix }];
}

function callerConflicts(input: DestinationRuleConflictsInput, rules: readonly Rule[], root: string): DestinationRuleConflict[] {
  const { spec, metadata } = input.proxyService;
  const host = fqdn(spec.serviceName, metadata.namespace);
  const wantMutual = spec.callerTls.mode === "ISTIO_MUTUAL";
  const ports = new Set([spec.port, ...spec.ports.map((p) => p.port)]);
  const namespaces = [...new Set([metadata.namespace, ...rules.filter((r) => !r.own && r.namespace !== root).map((r) => r.namespace), ANY_OTHER_NAMESPACE])];
  const out: DestinationRuleConflict[] = [];
  for (const ns of namespaces) {
    const entries = lookup(rules, ns, host, metadata.namespace, root);
    const where = ns === ANY_OTHER_NAMESPACE ? "callers in namespaces without a DestinationRule of their own for it" : `callers in namespace "${ns}"`;
    // Callers the operator cannot see: those no selector picks, and for each rule with a selector, the ones it picks.
    const views: [Entry | undefined, string][] = [[select(entries, ns, {}), where]];
    for (const e of entries) if (e.selector !== undefined && e.namespace === ns) views.push([e, `${where} that its workloadSelector picks`]);
    for (const [entry, affects] of views) {
      const policy = entry === undefined ? undefined : policyOf(entry);
      if (policy?.own === true) continue;
      const modes = tlsModes(policy?.trafficPolicy, ports);
      // No entry: rules with selectors only, which hide ours from every workload they do not pick.
      const culprit = policy ?? entry?.rules[0] ?? entries[0]?.rules[0];
      if (culprit === undefined || culprit.own) continue;
      if (wantMutual && modes.some((m) => m !== "ISTIO_MUTUAL")) {
        out.push({
          rule: culprit.key,
          affects,
          problem: `gives callers of "${host}" ${modes.filter((m) => m !== "ISTIO_MUTUAL").map(describeMode).join(", ")} instead of ISTIO_MUTUAL from this ProxyService's DestinationRule, so they do not send the Istio mTLS that the proxies require under spec.callerTls.mode ISTIO_MUTUAL`,
          fix: `add trafficPolicy.tls.mode: ISTIO_MUTUAL to it, or delete it`,
        });
      } else if (!wantMutual && modes.some((m) => TLS_MODES.has(m))) {
        const mutualOnly = modes.every((m) => m === "ISTIO_MUTUAL" || !TLS_MODES.has(m));
        out.push({
          rule: culprit.key,
          affects,
          problem: `makes callers of "${host}" originate TLS (${modes.filter((m) => TLS_MODES.has(m)).join(", ")}) to the proxies, whose listener takes plain text under spec.callerTls.mode DISABLE`,
          fix: mutualOnly ? `set spec.callerTls.mode: ISTIO_MUTUAL, or remove its tls` : `remove its tls for the ports of "${spec.serviceName}"`,
        });
      }
    }
  }
  return out;
}

const describeMode = (mode: string): string => (mode === "auto" ? "no TLS setting (auto mTLS: plain text to the proxies, which carry no tlsMode label)" : `TLS mode ${mode}`);

/** The TLS modes callers use on the given ports: "auto" where the rule leaves it to Istio's auto mTLS. */
function tlsModes(policy: TrafficPolicyLike | undefined, ports: ReadonlySet<number>): string[] {
  const top = policy?.tls?.mode ?? "auto";
  const modes = [...ports].map((port) => policy?.portLevelSettings?.find((s) => s.port?.number === port)?.tls?.mode ?? top);
  return [...new Set(modes)];
}

/** The rule whose trafficPolicy an entry carries: the first merged rule that has one. */
function policyOf(entry: Entry): Rule | undefined {
  return entry.rules.find((r) => r.trafficPolicy !== undefined);
}

/** The entries istiod considers for `host` seen from `clientNamespace` (push_context.go destinationRule). */
function lookup(rules: readonly Rule[], clientNamespace: string, host: string, serviceNamespace: string, root: string): Entry[] {
  const local = clientNamespace === root
    ? index(rules.filter((r) => r.namespace === root && isPrivate(r)))
    : index(rules.filter((r) => r.namespace === clientNamespace && entersOwnNamespace(r)));
  const fromLocal = mostSpecific(local, host);
  if (fromLocal !== undefined) return fromLocal;
  for (const ns of serviceNamespace === "" ? [root] : [serviceNamespace, root]) {
    const exported = mostSpecific(index(rules.filter((r) => r.namespace === ns && !isPrivate(r))), host);
    const visible = exported?.filter((e) => e.exportTo.size === 0 || e.exportTo.has("*") || e.exportTo.has(clientNamespace)) ?? [];
    if (visible.length > 0) return visible;
  }
  return [];
}

/** sidecar.go DestinationRule, outbound: the first entry whose selector the workload matches, else the last catch-all. */
function select(entries: readonly Entry[], namespace: string, labels: Readonly<Record<string, string>>): Entry | undefined {
  let catchAll: Entry | undefined;
  for (const e of entries) {
    if (e.selector === undefined) catchAll = e;
    else if (e.namespace === namespace && Object.entries(e.selector).every(([k, v]) => labels[k] === v)) return e;
  }
  return catchAll;
}

/** The rules of one index, merged per host as mergeDestinationRule does. */
function index(rules: readonly Rule[]): Map<string, Entry[]> {
  const byHost = new Map<string, Entry[]>();
  for (const rule of rules) {
    const entries = byHost.get(rule.host) ?? [];
    byHost.set(rule.host, entries);
    let appendSeparately = true;
    for (const e of entries) {
      if (sameSet(rule.exportTo, e.exportTo)) appendSeparately = false;
      else if (!(e.exportTo.size > 0 && [...e.exportTo].every((x) => rule.exportTo.has(x)))) {
        appendSeparately = true;
        continue;
      } else appendSeparately = true;
      const bothWithSelector = rule.selector !== undefined && e.selector !== undefined;
      if (bothWithSelector && !sameLabels(rule.selector, e.selector)) {
        appendSeparately = true;
        continue;
      }
      if ((rule.selector === undefined && e.selector === undefined) || bothWithSelector) appendSeparately = false;
      e.rules.push(rule);
    }
    if (appendSeparately) entries.push({ rules: [rule], exportTo: rule.exportTo, selector: rule.selector, namespace: rule.namespace });
  }
  return byHost;
}

/** config.go MostSpecificHostMatch: the exact host, else the longest wildcard that matches it. */
function mostSpecific(byHost: ReadonlyMap<string, Entry[]>, host: string): Entry[] | undefined {
  const exact = byHost.get(host);
  if (exact !== undefined) return exact;
  const wildcards = [...byHost.keys()].filter((h) => h.startsWith("*") && host.endsWith(h.slice(1))).sort((a, b) => b.length - a.length);
  return wildcards.length === 0 ? undefined : byHost.get(wildcards[0]!);
}

function entersOwnNamespace(r: Rule): boolean {
  return r.exportTo.size === 0 || r.exportTo.has("*") || r.exportTo.has(".") || r.exportTo.has(r.namespace);
}

/** Visible only in its own namespace (the mesh's default exportTo for DestinationRules is "*"). */
function isPrivate(r: Rule): boolean {
  return r.exportTo.size === 1 && (r.exportTo.has(".") || r.exportTo.has(r.namespace));
}

function normalize(r: DestinationRuleLike, own: boolean): Rule {
  const namespace = r.metadata.namespace ?? "";
  const selector = r.spec?.workloadSelector === undefined ? undefined : { ...(r.spec.workloadSelector.matchLabels ?? {}) };
  const stamp = r.metadata.creationTimestamp;
  return {
    key: `${namespace}/${r.metadata.name ?? ""}`,
    namespace,
    host: resolveHost(r.spec?.host ?? "", namespace),
    // A rule with a workloadSelector is never exported, whatever its exportTo says.
    exportTo: new Set(selector === undefined ? (r.spec?.exportTo ?? []) : ["."]),
    selector,
    trafficPolicy: r.spec?.trafficPolicy,
    created: stamp === undefined ? Number.POSITIVE_INFINITY : new Date(stamp).getTime(),
    own,
  };
}

/** setDestinationRules' order: rules with a workloadSelector first, then creation time, name, namespace. */
function sortAsIstiod(rules: Rule[]): Rule[] {
  const [name, ns] = [(r: Rule) => r.key.slice(r.namespace.length + 1), (r: Rule) => r.namespace];
  return rules.sort((a, b) =>
    Number(b.selector !== undefined) - Number(a.selector !== undefined) ||
    (a.created === b.created ? 0 : a.created < b.created ? -1 : 1) ||
    compareCodeUnits(name(a), name(b)) ||
    compareCodeUnits(ns(a), ns(b)));
}

/** config.go ResolveShortnameToFQDN: a name without a dot is a Service of the rule's namespace. */
function resolveHost(host: string, namespace: string): string {
  return host === "*" || host.includes(".") || /^[0-9a-f:]+$/i.test(host) ? host : fqdn(host, namespace);
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));
const sameLabels = (a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());
