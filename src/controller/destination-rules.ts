import { targetOf } from "../api/defaults.js";
import type { ProxyService } from "../api/types.js";
import type { KubeObject } from "../kube/object.js";
import { serviceFqdn } from "../api/mesh.js";

/**
 * Whether a DestinationRule's `spec.host`, written in namespace `ruleNamespace`, can name the Service
 * `name` of `namespace`: the short name (relative to the rule's namespace, as istiod resolves it), a longer
 * form of it, or a wildcard that covers its FQDN. Deliberately generous: a false match costs one reconcile
 * and one more rule for destinationRuleConflicts to judge, a missed one a missing warning.
 */
export function hostCanName(host: string, ruleNamespace: string, name: string, namespace: string): boolean {
  const fqdn = serviceFqdn(name, namespace);
  if (host === "*" || host === fqdn || host === `${name}.${namespace}` || host === `${name}.${namespace}.svc`) return true;
  if (host === name) return ruleNamespace === namespace;
  return host.startsWith("*.") && fqdn.endsWith(host.slice(1));
}

/** Whether `rule` may concern the ProxyService: its host can name spec.serviceName or spec.target. */
export function concernsProxyService(rule: KubeObject, proxyService: ProxyService & KubeObject): boolean {
  const host = (rule as { spec?: { host?: string } }).spec?.host;
  if (host === undefined) return false;
  const namespace = proxyService.metadata.namespace ?? "";
  const { serviceName } = proxyService.spec;
  const target = targetOf(proxyService.spec);
  const ruleNamespace = rule.metadata.namespace ?? "";
  return hostCanName(host, ruleNamespace, serviceName, namespace) || hostCanName(host, ruleNamespace, target, namespace);
}
