import { Annotations } from "../api/labels.js";
import type { ObjectKey } from "../kube/object.js";
import type { ProxyPodSummary } from "./proxy-pods.js";

// The availability policy, in one place: when a taken-over Service falls back to the application's pods,
// when it is taken over again, and how often that may flap. The promise it keeps: a ProxyService never leaves
// its Service without a serving endpoint that reaches the application, whatever happens to the proxies.

/**
 * How long a proxy pod must have been Ready before a Service that fell back is taken over again. Istio's
 * gateway answers its readiness probe only once Envoy has its configuration from istiod, and the kubelet
 * probes it every second here (the startup probe) and every few seconds after: five seconds is a few probe
 * periods, enough to see a pod that flaps between Ready and not Ready before traffic is sent back to it, and
 * short next to the minutes a fallback costs in balancing quality.
 */
export const STABLE_READY_MS = 5_000;

/** Fallbacks further apart than this are separate incidents; within it, each one doubles the wait before the next takeover. */
export const FLAP_WINDOW_MS = 10 * 60_000;

/** The longest wait before taking a Service over again, however often it flapped. */
export const MAX_HOLD_MS = 5 * 60_000;

/**
 * How long a taken-over Service may list no ready endpoint while its proxy pods look Ready before it falls back
 * anyway. The EndpointSlice controller follows a selector change within milliseconds as a rule; after an API
 * server restart it can be seconds behind (the chaos test saw a Service taken over by a new leader list nothing
 * for 11 s), and callers then reach nothing although every pod looks fine to us. Counted from our last write of
 * the Service (its managedFields keep whole seconds, so the switch comes 1-2 s after the write).
 */
export const ENDPOINTS_GRACE_MS = 2_000;

/** What the taken-over Service's own EndpointSlices list: the last word on whether callers reach a proxy. */
export interface ServiceEndpoints {
  readonly service: string;
  /** Ready endpoints over its EndpointSlices. */
  readonly ready: number;
  /** When we last wrote the Service (ms since the epoch), from its managedFields; undefined if unknown. */
  readonly writtenAt: number | undefined;
}

/** What spec.serviceName selects now, read from the Service itself, so a restarted operator knows it too. */
export type ServiceState =
  /** Never taken over, or given back: it selects what its owner set (or does not exist yet). */
  | "NotTakenOver"
  /** It selects the proxy pods. */
  | "TakenOver"
  /** It was taken over and now selects the application's pods again, because no proxy serves (the fell-back annotation). */
  | "FellBack";

/** The proxies as the pod cache shows them. */
export interface ProxyView {
  /** Pods Ready and not being deleted. */
  readonly serving: number;
  /** Pods being deleted but still Ready: they keep serving while the Service switches. */
  readonly draining: number;
  /** How long the longest-Ready serving pod has been Ready (0 when none serves). */
  readonly longestReadyMs: number;
  /** Why no pod serves, naming the pods or the Deployment (empty when one does). */
  readonly cause: string;
  /** Pods serve but the Service lists no ready endpoint yet, within ENDPOINTS_GRACE_MS: look again after this long. */
  readonly recheckAfterMs?: number;
}

/**
 * The proxies of one ProxyService, from its pods and its Deployment as the caches show them. Pure.
 * `deploymentProblem` is the Deployment's own reason when it has one (missing, ReplicaFailure: quota).
 * `endpoints`, given while the Service is taken over: when it has listed no ready endpoint for
 * ENDPOINTS_GRACE_MS since our last write although pods look Ready, no proxy counts as serving.
 */
export function proxyView(pods: readonly ProxyPodSummary[], now: number, deploymentProblem: string | undefined, endpoints?: ServiceEndpoints): ProxyView {
  const serving = pods.filter((p) => p.serving);
  const draining = pods.filter((p) => p.draining).length;
  const longestReadyMs = Math.max(0, ...serving.map((p) => now - (p.readySince ?? now)));
  const reasons = pods.filter((p) => !p.serving).map((p) => p.notServingBecause ?? `pod "${p.metadata.name}" is not Ready`);
  const cause = serving.length > 0 ? "" : [deploymentProblem, ...reasons].filter((r) => r !== undefined).join("; ") || "no proxy pod exists";
  if (endpoints !== undefined && serving.length > 0 && endpoints.ready === 0) {
    const sinceWriteMs = endpoints.writtenAt === undefined ? Infinity : now - endpoints.writtenAt;
    if (sinceWriteMs < ENDPOINTS_GRACE_MS) return { serving: serving.length, draining, longestReadyMs, cause, recheckAfterMs: ENDPOINTS_GRACE_MS - sinceWriteMs };
    const names = serving.map((p) => `"${p.metadata.name}"`).join(", ");
    const since = Number.isFinite(sinceWriteMs) ? ` ${Math.round(sinceWriteMs / 1000)} s after the takeover` : "";
    return {
      serving: 0,
      draining,
      longestReadyMs: 0,
      cause: `Service "${endpoints.service}" lists no ready endpoint${since} although pod(s) ${names} are Ready (the EndpointSlice controller has not caught up), so callers would reach nothing`,
    };
  }
  return { serving: serving.length, draining, longestReadyMs, cause };
}

export type AvailabilityDecision =
  /** Never taken over and no proxy serves: wait for the first one (a Normal wait, not a fallback). */
  | { readonly kind: "waitForFirstProxy" }
  /** Select the proxies: the first takeover, keeping it, or taking over again after a fallback (`again`). */
  | { readonly kind: "takeOver"; readonly again: boolean }
  /** Select the application's pods; `isNew` when the Service still selects the proxies (a transition now). */
  | { readonly kind: "fallBack"; readonly isNew: boolean }
  /** Fell back, and a proxy serves again but not for long enough yet: stay on the application, look again later. */
  | { readonly kind: "holdFallback"; readonly retryAfterMs: number; readonly holdMs: number };

/**
 * The rule. Pure.
 * - No pod serves (a draining one does not count: it is about to stop, and the switch must happen while it
 *   still serves): fall back if the Service was taken over, else wait for the first proxy.
 * - A pod serves: take over at once the first time; after a fallback only once a pod has been Ready, and the
 *   fallback has lasted, for the hold time (holdTime: STABLE_READY_MS, doubled for each other fallback within
 *   FLAP_WINDOW_MS). The fallback's own age counts because pods can be Ready all along: a fallback because
 *   the Service listed none of them (ENDPOINTS_GRACE_MS) would otherwise be undone at once, every 2 s.
 *   `sinceLastFallbackMs` is Infinity when this operator did not see the fallback (a new leader).
 */
export function decideAvailability(state: ServiceState, proxies: ProxyView, recentFallbacks: number, sinceLastFallbackMs = Infinity): AvailabilityDecision {
  if (proxies.serving === 0) {
    return state === "NotTakenOver" ? { kind: "waitForFirstProxy" } : { kind: "fallBack", isNew: state === "TakenOver" };
  }
  if (state !== "FellBack") return { kind: "takeOver", again: false };
  const holdMs = holdTime(recentFallbacks);
  const stableMs = Math.min(proxies.longestReadyMs, sinceLastFallbackMs);
  if (stableMs >= holdMs) return { kind: "takeOver", again: true };
  return { kind: "holdFallback", retryAfterMs: holdMs - stableMs, holdMs };
}

/** STABLE_READY_MS for the first fallback of a window, doubled for each further one, at most MAX_HOLD_MS. Pure. */
export function holdTime(recentFallbacks: number): number {
  const doublings = Math.max(0, recentFallbacks - 1);
  return Math.min(MAX_HOLD_MS, STABLE_READY_MS * 2 ** Math.min(doublings, 16));
}

/**
 * Remembers when each ProxyService's Service fell back, for the flap bound. In memory: after a restart the
 * count starts over, which only makes the next takeover come sooner (docs/operator.md says so).
 */
export class FallbackTracker {
  readonly #times = new Map<ObjectKey, number[]>();

  /** Fallbacks of `key` within FLAP_WINDOW_MS before `now`. */
  recent(key: ObjectKey, now: number): number {
    return this.#within(key, now).length;
  }

  /** Time since the last fallback of `key` this tracker saw; Infinity if none within FLAP_WINDOW_MS. */
  sinceLast(key: ObjectKey, now: number): number {
    const times = this.#within(key, now);
    return times.length === 0 ? Infinity : now - times[times.length - 1]!;
  }

  record(key: ObjectKey, now: number): void {
    this.#times.set(key, [...this.#within(key, now), now]);
  }

  forget(key: ObjectKey): void {
    this.#times.delete(key);
  }

  #within(key: ObjectKey, now: number): number[] {
    return (this.#times.get(key) ?? []).filter((t) => now - t < FLAP_WINDOW_MS);
  }
}

/**
 * What spec.serviceName selects now, from the Service alone. `isOurs`: its takeover record names this
 * ProxyService, or this ProxyService created it. A Service of ours that selects neither the proxies nor
 * carries the fell-back annotation was given back or reverted by another tool (reverts.ts judges that). Pure.
 */
export function serviceStateOf(
  service: { readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> } } | undefined,
  isOurs: boolean,
  isSelectingProxies: boolean,
): ServiceState {
  if (service === undefined || !isOurs) return "NotTakenOver";
  if (isSelectingProxies) return "TakenOver";
  return service.metadata?.annotations?.[Annotations.fellBack] === "true" ? "FellBack" : "NotTakenOver";
}
