import type { Condition } from "./types.js";

/** Condition types: a closed set. Add one only if a user can act on it. */
export const ConditionTypes = {
  /** The summary: the proxies run, and spec.serviceName reaches them. */
  Ready: "Ready",
  /**
   * Whether the serving proxies still balance with a mostly global view: False when autoscaling
   * spread the load over so many proxies that the simulator predicts most of the gain is lost
   * (src/api/balancing.ts). A warning only; it never changes Ready.
   */
  GlobalView: "GlobalView",
  /**
   * Whether the AuthorizationPolicies on the target's pods can still tell callers apart: False when one
   * matches on callers' principals, which behind the proxies all arrive as the proxies' own identity
   * (src/api/hidden-principals.ts). A warning only; it never changes Ready.
   */
  CallerIdentity: "CallerIdentity",
  /**
   * Whether istiod gives the proxies our DestinationRule for the target, and callers of spec.serviceName
   * the TLS that spec.callerTls needs: False when a user's DestinationRule takes our place or breaks the
   * callers' hop (src/api/destination-rule-conflicts.ts). A warning only; it never changes Ready.
   */
  DestinationRules: "DestinationRules",
  /**
   * Whether the proxies run the current spec: False while a rollout of the proxy Deployment goes on, and
   * RolloutStuck when it cannot progress (new pods unschedulable, crash-looping or never Ready, or the
   * Deployment's progress deadline passed) while the old proxies keep serving. It never changes Ready.
   */
  ProxiesRolledOut: "ProxiesRolledOut",
} as const;
export type ConditionType = (typeof ConditionTypes)[keyof typeof ConditionTypes];

/** Condition reasons (also the reasons of Warning events): a closed set, CamelCase. */
export const Reasons = {
  /** Everything is applied, a proxy pod is Ready and spec.serviceName reaches the proxies. */
  Ready: "Ready",
  /** The owned objects are applied, but no proxy pod is Ready yet; the first takeover waits for one. */
  ProxyNotAvailable: "ProxyNotAvailable",
  /**
   * The Service was taken over, but no proxy pod serves any more (unready, terminating, crash-looping,
   * evicted): it selects the application's pods again until a proxy has been Ready for a while (availability.ts).
   */
  FellBack: "FellBack",
  /** Neither spec.serviceName nor spec.target exists, so there is nothing to learn the ports from. */
  TargetServiceMissing: "TargetServiceMissing",
  /** Another ProxyService already took over spec.serviceName; this one touches nothing. */
  ServiceClaimedByAnother: "ServiceClaimedByAnother",
  /** The Service cannot be carried by the proxies without breaking a caller (e.g. a UDP port, no selector). */
  TakeoverRefused: "TakeoverRefused",
  /** The ProxyService is being deleted, but the takeover record on spec.serviceName cannot be read: the deletion waits for a fix by hand. */
  RestoreRefused: "RestoreRefused",
  /** Another field manager keeps putting the original selector back (GitOps, Helm); the operator stopped fighting. */
  TakeoverReverted: "TakeoverReverted",
  /** The spec is valid for the schema but not for the cluster (e.g. spec.port is not a port of the Service). */
  SpecInvalid: "SpecInvalid",
  /** GlobalView True: the serving proxies are predicted to keep at least half of one proxy's gain. */
  GainKept: "GainKept",
  /** GlobalView False: so many proxies serve that they are predicted to keep less than half of one proxy's gain. */
  TooManyProxies: "TooManyProxies",
  /** CallerIdentity True: no policy on the target's pods names callers' identities that the proxies hide. */
  NoHiddenPrincipals: "NoHiddenPrincipals",
  /** CallerIdentity False: a policy on the target's pods names callers' identities; it sees the proxies' instead. */
  PrincipalsHidden: "PrincipalsHidden",
  /** DestinationRules True: istiod gives the proxies and the callers what this ProxyService configures. */
  NoDestinationRuleConflict: "NoDestinationRuleConflict",
  /** DestinationRules False: a user's DestinationRule shadows ours for the proxies, or gives callers a TLS the proxies do not take. */
  DestinationRuleConflict: "DestinationRuleConflict",
  /** ProxiesRolledOut True: every proxy pod runs the current template. */
  RolledOut: "RolledOut",
  /** ProxiesRolledOut False: a rollout of the proxies is under way and progressing. */
  RollingOut: "RollingOut",
  /** ProxiesRolledOut False: the rollout cannot progress; the old proxies keep serving. */
  RolloutStuck: "RolloutStuck",
} as const;
export type ConditionReason = (typeof Reasons)[keyof typeof Reasons];

/** Reasons of Normal events for actions, one per kind of change the operator makes. */
export const EventReasons = {
  /** The operator created the target Service as a copy of spec.serviceName's selector and ports. */
  TargetServiceCreated: "TargetServiceCreated",
  /** spec.serviceName now selects the proxy pods (changed in place), first or again after a fallback. */
  ServiceTakenOver: "ServiceTakenOver",
  /** spec.serviceName did not exist; the operator created it to reach the proxies. */
  ServiceCreated: "ServiceCreated",
  /** spec.serviceName got back its original selector and ports. */
  ServiceRestored: "ServiceRestored",
  /** An owned object was created or changed to match the spec (drift repaired, or spec changed). */
  ObjectApplied: "ObjectApplied",
  /** An owned object the spec no longer asks for was deleted (owned minus desired). */
  ObjectDeleted: "ObjectDeleted",
} as const;

/** What a caller wants a condition to be; setCondition adds the times. */
export interface ConditionInput {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  reason: ConditionReason;
  message: string;
  observedGeneration: number;
}

/**
 * Returns `conditions` with `next` set, as Kubernetes conventions ask: `lastTransitionTime`
 * changes only when `status` flips (so a reason or message change keeps it), and
 * `observedGeneration` is always recorded. Pure: `now` is passed in, the input is not changed,
 * and the result keeps the order of the others. Returns the same array when nothing changed,
 * so a caller can compare by identity to skip a status write.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  now: Date,
): Condition[] {
  const current = conditions ?? [];
  const old = current.find((c) => c.type === next.type);
  const lastTransitionTime =
    old !== undefined && old.status === next.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const updated: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime,
    observedGeneration: next.observedGeneration,
  };
  if (old !== undefined && isSameCondition(old, updated)) return current as Condition[];
  return old === undefined ? [...current, updated] : current.map((c) => (c.type === next.type ? updated : c));
}

/** The condition of `type`, if set. */
export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

function isSameCondition(a: Condition, b: Condition): boolean {
  return (
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastTransitionTime === b.lastTransitionTime &&
    a.observedGeneration === b.observedGeneration
  );
}
