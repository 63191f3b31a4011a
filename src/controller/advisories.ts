import { ASSUMED_CALLERS, ASSUMED_LOAD, balancingCondition, type MeanLatencyPredictor } from "../api/balancing.js";
import { ConditionTypes, Reasons, type ConditionInput, type ConditionType } from "../api/conditions.js";
import { destinationRuleCondition } from "../api/destination-rule-conflicts.js";
import { hiddenPrincipalsCondition } from "../api/hidden-principals.js";
import type { DefaultedProxyService } from "../api/types.js";
import { proxySelector } from "../render/metadata.js";
import { ownedKey, servingProxies, type Observed } from "./observe.js";
import { rolloutCondition, type DeploymentRollout } from "./rollout.js";

/**
 * The conditions beside Ready: warnings a user can act on that never change whether the ProxyService
 * works (Ready says that). reportStatus keeps exactly the ones `advise` returns and drops the others, so
 * a warning whose cause went away leaves the status. A Warning event goes out when one becomes a problem.
 */
export const ADVISORY_TYPES: readonly string[] = [
  ConditionTypes.GlobalView,
  ConditionTypes.CallerIdentity,
  ConditionTypes.DestinationRules,
  ConditionTypes.ProxiesRolledOut,
] satisfies ConditionType[];

/** Whether a condition reports something to fix, so that its change deserves a Warning event. */
export function isProblem(condition: { readonly type: string; readonly status: string; readonly reason: string }): boolean {
  switch (condition.type) {
    case ConditionTypes.Ready:
      // Waiting for the first proxy is the normal path to Ready, not a problem.
      return condition.status === "False" && condition.reason !== Reasons.ProxyNotAvailable;
    case ConditionTypes.ProxiesRolledOut:
      // A rollout under way is normal; one that cannot progress is the problem.
      return condition.reason === Reasons.RolloutStuck;
    default:
      return condition.status === "False";
  }
}

/**
 * The advisory conditions for one ProxyService, from what the caches show. Pure given a pure predictor.
 * - GlobalView, for least-request only (the other policies do not use the in-flight counts a thin view
 *   spoils): the serving proxy pods against the target's ready endpoints.
 * - CallerIdentity: the AuthorizationPolicies that select the target's pods (known by the target
 *   Service's selector) and match on callers' identities, which the proxies hide.
 * - DestinationRules: the users' DestinationRules that istiod would give the proxies instead of ours, or
 *   that break the callers' TLS to spec.serviceName; ours as applied (their creation times decide).
 */
export function advise(proxyService: DefaultedProxyService, observed: Observed, predict: MeanLatencyPredictor): ConditionInput[] {
  const { spec, metadata } = proxyService;
  const generation = metadata.generation ?? 0;
  const out: ConditionInput[] = [];
  if (spec.loadBalancer === "LEAST_REQUEST") {
    const input = {
      proxies: servingProxies(observed),
      replicas: observed.targetReadyEndpoints,
      callers: ASSUMED_CALLERS,
      load: ASSUMED_LOAD,
      choices: spec.leastRequest.choices,
    };
    out.push(balancingCondition(input, predict, generation));
  }
  const selector = observed.target?.spec?.selector;
  out.push(hiddenPrincipalsCondition({ proxyService, targetPodLabels: selector ? [selector] : [], policies: observed.authorizationPolicies }, generation));
  const ownRules = [...observed.owned.values()].filter((o) => o.kind === "DestinationRule");
  out.push(destinationRuleCondition({ proxyService, ownRules, userRules: observed.otherDestinationRules, proxyLabels: proxySelector(proxyService) }, generation));
  const rollout = rolloutCondition(observed.owned.get(ownedKey("Deployment", metadata.name)) as DeploymentRollout | undefined, observed.proxyPods, generation);
  if (rollout !== undefined) out.push(rollout);
  return out;
}
