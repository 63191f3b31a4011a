import { EventReasons, Reasons, type ConditionReason } from "../api/conditions.js";
import { SpecError } from "../api/errors.js";
import type { DefaultedProxyService, ProxyServiceStatus } from "../api/types.js";
import { desired, type DesiredState } from "../render/desired.js";
import { isOwnedBy } from "../api/ownership.js";
import { isSelectingProxies } from "../render/metadata.js";
import { renderFallbackService } from "../render/services.js";
import { isSubset } from "../kube/compare.js";
import type { EventInput } from "../kube/events.js";
import type { KubeObject } from "../kube/object.js";
import { FLAP_WINDOW_MS, decideAvailability, proxyView, serviceStateOf, type ProxyView, type ServiceState } from "./availability.js";
import { ownedKey, type Observed } from "./observe.js";
import { Outcome } from "../runtime/outcome.js";
import { REVERT_WINDOW_MS, decideOnRevert, takeoverRevertedBy } from "./reverts.js";

export interface PlannedApply {
  readonly object: KubeObject;
  /**
   * Take fields from another field manager: for the user's Service we take over (its selector and ports
   * belong to whoever created it), and for an owned object whose fields someone edited by hand.
   * Without force either apply would fail with a conflict.
   */
  readonly force: boolean;
  /**
   * The uid of the Service the cache saw, for writes to a Service that exists (the takeover of the user's
   * Service, every fallback): server-side apply creates a missing object, so without it a write planned from a
   * cache that has not yet seen the user delete the Service would create it again (the restore model found
   * this). With it the API server refuses the write (409; 422 for a namesake made since) and the retry reads again.
   */
  readonly uid?: string | undefined;
  /**
   * When it may be applied: every apply of a wave goes at once, and a wave starts when the one before it is
   * done. 0: every owned object (a pod that names the ServiceAccount before it exists is refused, and the
   * ReplicaSet controller retries it within milliseconds, so it need not wait); 1: the takeover, last, and
   * only once our finalizer is on.
   */
  readonly wave: 0 | 1;
  readonly event: EventInput;
}

/** The Ready condition as planned; observedGeneration and times are added when reporting. */
export interface ReadyInput {
  readonly status: "True" | "False";
  readonly reason: ConditionReason;
  readonly message: string;
}

/**
 * One reconcile's decisions, as data: what to apply (only what differs from the cache), what to delete,
 * the Ready condition and status to report, and what to wait for. The rules of the domain live here,
 * not in the loop that carries the plan out.
 */
export interface Plan {
  readonly applies: readonly PlannedApply[];
  readonly deletes: readonly KubeObject[];
  readonly ready: ReadyInput;
  readonly status: Omit<ProxyServiceStatus, "conditions" | "observedGeneration">;
  /** Set when this pass found the takeover reverted by someone else and re-applies it (the reconciler counts it). */
  readonly revertedBy?: string;
  /** Set when this pass switches the Service between the proxies and the application (the reconciler counts it). */
  readonly transition?: "fellBack" | "tookOverAgain";
  /** What the reconcile returns: done, waiting on something that is not an error, or come back at a set time. */
  readonly next: Outcome;
}

/**
 * Decides what to do for one ProxyService given what the caches show. Pure: no I/O and no clock.
 * Rules, in order:
 * - render says another ProxyService holds the claim on spec.serviceName (the rule: api/claim.ts), or
 *   something is missing: touch nothing and wait (ServiceClaimedByAnother, TargetServiceMissing);
 * - the spec does not fit the Services (SpecError): touch nothing (SpecInvalid or TakeoverRefused);
 * - otherwise apply every owned object that differs from the cache, and point spec.serviceName where the
 *   availability rule says (decideAvailability in availability.ts): at the proxies once one serves, back at
 *   the application's pods when none does any more (FellBack), at the proxies again once one has been Ready
 *   for the hold time; so callers never see a Service without a serving endpoint;
 * - a taken-over Service falls back even when the spec is refused or something is missing (the fallback
 *   needs only the Service and its record);
 * - when someone keeps reverting the takeover, stop re-applying it for a while (TakeoverReverted; the rule
 *   is decideOnRevert in reverts.ts);
 * - every object this ProxyService controls that the desired state does not contain is deleted.
 */
export function planFor(proxyService: DefaultedProxyService, observed: Observed): Plan {
  // What status says about the Service and the proxies comes from what is observed, in every branch.
  const facts = observedStatus(proxyService, observed);
  // Even while the spec is refused or something is missing, a taken-over Service must not keep selecting
  // proxies that no longer serve: the fallback needs only the Service and its record.
  const idle = (ready: ReadyInput, next: Outcome): Plan => {
    const fallback = fallbackIfNoProxyServes(proxyService, observed);
    if (fallback === undefined) return { applies: [], deletes: [], ready, status: facts, next };
    return { applies: [fallback.apply], deletes: [], ready, status: { ...facts, takeover: fallback.takeover }, transition: "fellBack", next };
  };
  let state;
  try {
    state = desired(proxyService, {
      service: observed.service,
      target: observed.target,
      ...(observed.claimedBy !== undefined ? { claimedBy: observed.claimedBy } : {}),
      ...(observed.record !== undefined ? { record: observed.record } : {}),
      ...(observed.recordError !== undefined ? { recordError: observed.recordError } : {}),
    });
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    return idle({ status: "False", reason: err.reason, message: err.message }, Outcome.terminal(err.reason, err.message));
  }
  if (state.kind === "waiting") {
    return idle({ status: "False", reason: state.reason, message: state.message }, Outcome.waiting(state.reason));
  }
  return planApply(proxyService, observed, state, facts);
}

function planApply(proxyService: DefaultedProxyService, observed: Observed, state: DesiredState, facts: PlannedStatus): Plan {
  const { spec, metadata } = proxyService;
  const applies: PlannedApply[] = [];
  const deletes: KubeObject[] = [];
  const want = (object: object | undefined, reason: string = EventReasons.ObjectApplied): void => {
    if (object === undefined) return;
    const o = object as KubeObject;
    const actual = observed.owned.get(ownedKey(o.kind, o.metadata.name));
    if (actual !== undefined && isSubset(o, actual)) return;
    const verb = actual === undefined ? "created" : "updated";
    applies.push({
      object: o,
      // An owned object that exists but differs was changed by a spec update or by hand (kubectl edit makes
      // the editor the owner of the fields it touched). Repairing that drift means taking those fields back,
      // which server-side apply allows only with force; a new object needs none.
      force: actual !== undefined,
      wave: 0,
      event: { type: "Normal", reason, action: "Apply", note: `${verb} ${o.kind} "${o.metadata.name}"` },
    });
  };
  const owned = ownedObjectsOf(state);
  // spec.serviceName, when we create it, is applied below: its selector is the availability rule's decision.
  for (const o of owned) if (o !== state.takenOverService) want(o, o === state.targetService ? EventReasons.TargetServiceCreated : undefined);
  deletes.push(...unwanted(observed.owned, owned));

  const status = { ...facts, targetCreated: state.targetService !== undefined };
  const serviceState = serviceStateOfObserved(proxyService, observed);
  const proxies = proxiesOf(proxyService, observed, serviceState);
  const decision = decideAvailability(serviceState, proxies, observed.recentFallbacks, observed.sinceLastFallbackMs);
  const modified = state.takeover.mode === "Modified";
  const actual = observed.service as KubeObject | undefined;
  const needs = (service: KubeObject): boolean => actual === undefined || !isSubset(service, actual);

  if (decision.kind === "waitForFirstProxy") {
    return {
      applies,
      deletes,
      ready: {
        status: "False",
        reason: Reasons.ProxyNotAvailable,
        message: `no proxy pod of Deployment "${metadata.name}" is Ready yet (${proxies.cause}); Service "${spec.serviceName}" is taken over once one is`,
      },
      status,
      next: Outcome.waiting(Reasons.ProxyNotAvailable),
    };
  }

  if (decision.kind === "fallBack" || decision.kind === "holdFallback") {
    const because =
      decision.kind === "fallBack"
        ? `no proxy pod serves: ${proxies.cause}`
        : `proxy pods serve again, but it is taken over again only once one has been Ready, and the fallback has lasted, ${Math.round(decision.holdMs / 1000)} s (it fell back ${observed.recentFallbacks} time(s) in the last ${FLAP_WINDOW_MS / 60_000} minutes)`;
    const message = fellBackMessage(proxyService, because);
    const fallback = actual === undefined ? undefined : renderFallbackService(proxyService, actual, observed.record, observed.target);
    if (fallback !== undefined && needs(fallback as KubeObject)) applies.push(fallbackApply(fallback as KubeObject, actual!, message));
    return {
      applies,
      deletes,
      ready: { status: "False", reason: Reasons.FellBack, message },
      status: { ...status, takeover: { service: spec.serviceName, mode: state.takeover.mode, state: "FellBack" } },
      ...(decision.kind === "fallBack" && decision.isNew ? { transition: "fellBack" as const } : {}),
      next: decision.kind === "holdFallback" ? Outcome.requeueAfter(decision.retryAfterMs, Reasons.FellBack) : Outcome.done(),
    };
  }

  const revertedBy =
    decision.again ? undefined : takeoverRevertedBy(observed.record, metadata.name, isSelectingProxies(proxyService, observed.service), observed.selectorManagers);
  const onRevert = revertedBy === undefined ? undefined : decideOnRevert(observed.reverts);
  if (onRevert?.kind === "giveUp") {
    return {
      applies,
      deletes,
      ready: {
        status: "False",
        reason: Reasons.TakeoverReverted,
        message: `the selector of Service "${spec.serviceName}" keeps being set back by field manager "${revertedBy}"; the operator stopped re-applying the takeover for ${Math.ceil(REVERT_WINDOW_MS / 60_000)} minutes. Make that tool ignore spec.selector of the Service (see docs/operator.md), or change the ProxyService's spec to retry now`,
      },
      status,
      revertedBy,
      next: Outcome.requeueAfter(onRevert.retryAfterMs, Reasons.TakeoverReverted),
    };
  }

  const takeover = state.takenOverService as KubeObject;
  if (needs(takeover)) {
    applies.push({
      object: takeover,
      // force only for the user's Service: its selector and ports belong to another field manager.
      force: modified,
      uid: modified ? actual?.metadata.uid : undefined,
      wave: decision.again ? 0 : 1,
      event: {
        type: "Normal",
        reason: modified || decision.again ? EventReasons.ServiceTakenOver : EventReasons.ServiceCreated,
        action: "TakeOver",
        note: decision.again
          ? `Service "${spec.serviceName}" selects the proxy pods of Deployment "${metadata.name}" again: one has been Ready for ${Math.round(proxies.longestReadyMs / 1000)} s`
          : modified
            ? `Service "${spec.serviceName}" now selects the proxy pods of Deployment "${metadata.name}" (ClusterIP kept; original selector and ports recorded for restore)`
            : `created Service "${spec.serviceName}" selecting the proxy pods of Deployment "${metadata.name}"`,
      },
    });
  }
  return {
    applies,
    deletes,
    ready: {
      status: "True",
      reason: Reasons.Ready,
      message: `Service "${spec.serviceName}" reaches ${proxies.serving} ready proxy pod(s), which balance to Service "${spec.target}" with ${spec.loadBalancer}`,
    },
    status: { ...status, takeover: { service: spec.serviceName, mode: state.takeover.mode, state: "TakenOver" } },
    ...(revertedBy !== undefined ? { revertedBy } : {}),
    ...(decision.again && needs(takeover) ? { transition: "tookOverAgain" as const } : {}),
    next: proxies.recheckAfterMs === undefined ? Outcome.done() : Outcome.requeueAfter(proxies.recheckAfterMs, Reasons.Ready),
  };
}

type PlannedStatus = Omit<ProxyServiceStatus, "conditions" | "observedGeneration">;

function fellBackMessage(proxyService: DefaultedProxyService, because: string): string {
  const { spec, metadata } = proxyService;
  return `Service "${spec.serviceName}" selects the application's pods again (it fell back from the proxies of Deployment "${metadata.name}") because ${because}`;
}

function fallbackApply(fallback: KubeObject, observedService: KubeObject, message: string): PlannedApply {
  return {
    object: fallback,
    // As for the takeover: the user's Service's selector and ports may be shared with another field manager.
    force: fallback.metadata.ownerReferences === undefined,
    uid: observedService.metadata.uid,
    // Wave 0: the finalizer is on since the takeover, and the switch must not wait for any other object.
    wave: 0,
    event: { type: "Warning", reason: Reasons.FellBack, action: "FallBack", note: message },
  };
}

/** The proxies as the availability rule judges them; while taken over, the Service's own EndpointSlices have the last word. */
function proxiesOf(proxyService: DefaultedProxyService, observed: Observed, state: ServiceState): ProxyView {
  return proxyView(observed.proxyPods, observed.now, deploymentProblem(proxyService, observed), state === "TakenOver" ? observed.serviceEndpoints : undefined);
}

/**
 * The fallback for a plan that renders nothing (spec refused, something missing): when spec.serviceName
 * selects this ProxyService's proxies and none serves. Undefined otherwise.
 */
function fallbackIfNoProxyServes(
  proxyService: DefaultedProxyService,
  observed: Observed,
): { apply: PlannedApply; takeover: NonNullable<PlannedStatus["takeover"]> } | undefined {
  const service = observed.service;
  if (service === undefined || serviceStateOfObserved(proxyService, observed) !== "TakenOver") return undefined;
  const proxies = proxiesOf(proxyService, observed, "TakenOver");
  if (proxies.serving > 0) return undefined;
  const fallback = renderFallbackService(proxyService, service, observed.record, observed.target);
  if (fallback === undefined) return undefined;
  const message = fellBackMessage(proxyService, `no proxy pod serves: ${proxies.cause}`);
  const mode = observed.record === undefined ? "Created" : "Modified";
  return { apply: fallbackApply(fallback as KubeObject, service as KubeObject, message), takeover: { service: proxyService.spec.serviceName, mode, state: "FellBack" } };
}

/**
 * The status facts read from the cluster rather than decided by the plan: serving proxy pods, the target,
 * and what spec.serviceName selects now. The same in every branch, so an idle pass never drops them.
 */
function observedStatus(proxyService: DefaultedProxyService, observed: Observed): PlannedStatus {
  const { spec } = proxyService;
  const state = serviceStateOfObserved(proxyService, observed);
  const mode = observed.record?.proxyService === proxyService.metadata.name ? "Modified" : "Created";
  return {
    readyReplicas: observed.proxyPods.filter((p) => p.serving).length,
    target: spec.target,
    targetCreated: isOwnedBy(observed.target, proxyService),
    ...(state === "NotTakenOver" ? {} : { takeover: { service: spec.serviceName, mode, state } }),
  };
}

function serviceStateOfObserved(proxyService: DefaultedProxyService, observed: Observed): ServiceState {
  const service = observed.service;
  const isOurs = observed.record?.proxyService === proxyService.metadata.name || (observed.record === undefined && isOwnedBy(service, proxyService));
  return serviceStateOf(service, isOurs, isSelectingProxies(proxyService, service));
}

/** The proxy Deployment's own problem, if any: missing, or refused new pods (ReplicaFailure: quota, admission). */
function deploymentProblem(proxyService: DefaultedProxyService, observed: Observed): string | undefined {
  const name = proxyService.metadata.name;
  const deployment = observed.owned.get(ownedKey("Deployment", name)) as
    | { status?: { conditions?: readonly { type: string; status: string; message?: string }[] } }
    | undefined;
  if (deployment === undefined) return `Deployment "${name}" does not exist (it is being created again)`;
  const failure = deployment.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  return failure === undefined ? undefined : `Deployment "${name}" cannot create pods: ${failure.message ?? "ReplicaFailure"}`;
}

/**
 * Every object this ProxyService should control now: the owned objects of the desired state, and
 * spec.serviceName when the operator creates it (then it is owned too; the user's Service never is).
 */
function ownedObjectsOf(state: DesiredState): KubeObject[] {
  const objects: (object | undefined)[] = [
    state.serviceAccount,
    state.deployment,
    state.horizontalPodAutoscaler,
    state.podDisruptionBudget,
    state.gateway,
    state.virtualService,
    state.destinationRule,
    state.callerDestinationRule,
    state.envoyFilter,
    state.targetService,
    state.takeover.mode === "Created" ? state.takenOverService : undefined,
  ];
  return objects.filter((o): o is KubeObject => o !== undefined);
}

/**
 * Owned minus desired: every object this ProxyService controls that its current spec no longer asks for
 * (a PodDisruptionBudget after maxReplicas went to 1, the callers' DestinationRule after callerTls went
 * back to DISABLE, the operator's target after spec.target moved), by kind and name. Pure.
 */
export function unwanted(owned: ReadonlyMap<string, KubeObject>, desiredObjects: readonly KubeObject[]): KubeObject[] {
  const wanted = new Set(desiredObjects.map((o) => ownedKey(o.kind, o.metadata.name)));
  return [...owned].filter(([key]) => !wanted.has(key)).map(([, o]) => o);
}
