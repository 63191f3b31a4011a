import { EventReasons, Reasons, type ConditionReason } from "../api/conditions.js";
import { SpecError } from "../api/errors.js";
import type { DefaultedProxyService, ProxyServiceStatus } from "../api/types.js";
import { desired, type DesiredState } from "../render/desired.js";
import { isSelectingProxies } from "../render/metadata.js";
import { isSubset } from "../kube/compare.js";
import type { EventInput } from "../kube/events.js";
import type { KubeObject } from "../kube/object.js";
import { ownedKey, readyProxies, type Observed } from "./observe.js";
import { Outcome } from "./outcome.js";
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
  /** What the reconcile returns: done, waiting on something that is not an error, or come back at a set time. */
  readonly next: Outcome;
}

/**
 * Decides what to do for one ProxyService given what the caches show. Pure: no I/O and no clock.
 * Rules, in order:
 * - render says another ProxyService holds the claim on spec.serviceName (the rule: api/claim.ts), or
 *   something is missing: touch nothing and wait (ServiceClaimedByAnother, TargetServiceMissing);
 * - the spec does not fit the Services (SpecError): touch nothing (SpecInvalid or TakeoverRefused);
 * - otherwise apply every owned object that differs from the cache, and take spec.serviceName over only
 *   once a proxy pod is Ready, so callers never see a Service without ready endpoints;
 * - when someone keeps reverting the takeover, stop re-applying it for a while (TakeoverReverted; the rule
 *   is decideOnRevert in reverts.ts);
 * - every object this ProxyService controls that the desired state does not contain is deleted.
 */
export function planFor(proxyService: DefaultedProxyService, observed: Observed): Plan {
  const { spec } = proxyService;
  const idle = (ready: ReadyInput, next: Outcome): Plan => ({ applies: [], deletes: [], ready, status: { target: spec.target }, next });
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
  return planApply(proxyService, observed, state);
}

function planApply(proxyService: DefaultedProxyService, observed: Observed, state: DesiredState): Plan {
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
  // The takeover of a Service we create is applied last, below, once a proxy is Ready.
  for (const o of owned) if (o !== state.takenOverService) want(o, o === state.targetService ? EventReasons.TargetServiceCreated : undefined);
  deletes.push(...unwanted(observed.owned, owned));

  const readyReplicas = readyProxies(proxyService, observed);
  const status = {
    readyReplicas,
    target: spec.target,
    targetCreated: state.targetService !== undefined,
  };
  if (readyReplicas < 1) {
    return {
      applies,
      deletes,
      ready: {
        status: "False",
        reason: Reasons.ProxyNotAvailable,
        message: `no proxy pod of Deployment "${metadata.name}" is Ready yet; Service "${spec.serviceName}" is taken over once one is`,
      },
      status,
      next: Outcome.waiting(Reasons.ProxyNotAvailable),
    };
  }

  const revertedBy = takeoverRevertedBy(
    observed.record,
    metadata.name,
    isSelectingProxies(proxyService, observed.service),
    observed.selectorManagers,
  );
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
  const actual = observed.service as KubeObject | undefined;
  const modified = state.takeover.mode === "Modified";
  if (actual === undefined || !isSubset(takeover, actual)) {
    applies.push({
      object: takeover,
      // force only for the user's Service: its selector and ports belong to another field manager.
      force: modified,
      wave: 1,
      event: {
        type: "Normal",
        reason: modified ? EventReasons.ServiceTakenOver : EventReasons.ServiceCreated,
        action: "TakeOver",
        note: modified
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
      message: `Service "${spec.serviceName}" reaches ${readyReplicas} ready proxy pod(s), which balance to Service "${spec.target}" with ${spec.loadBalancer}`,
    },
    status: { ...status, takeover: { service: spec.serviceName, mode: state.takeover.mode } },
    ...(revertedBy !== undefined ? { revertedBy } : {}),
    next: Outcome.done(),
  };
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
