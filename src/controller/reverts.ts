import { ConditionTypes, Reasons, findCondition } from "../api/conditions.js";
import type { TakeoverRecord } from "../api/takeover.js";
import type { ProxyService } from "../api/types.js";
import type { ObjectKey } from "../kube/object.js";
import { timeOf } from "../kube/object.js";

// The revert policy, in one place: what counts as a revert of our takeover, how reverts are remembered, and
// when the operator stops fighting the other field manager and when it tries again.

/** After this many reverts within the window, the operator stops re-applying the takeover. */
export const MAX_REVERTS = 3;

/** How long a revert counts towards giving up: reverts further apart than this are a user's occasional edits. */
export const REVERT_WINDOW_MS = 10 * 60_000;

/**
 * What the policy needs to know about earlier reverts of one ProxyService's takeover, for its current
 * generation only: a spec change is the user's way to say "try again", so it starts the count over.
 */
export interface RevertHistory {
  /** When each counted revert was seen (ms since the epoch), oldest first; the Service version seen now is left out. */
  readonly times: readonly number[];
  /** Until when a give-up recorded in status (by this or an earlier operator process) still holds. */
  readonly givenUpUntil?: number;
  readonly now: number;
}

/**
 * The field manager that put its own selector back on a Service we had taken over (the record names this
 * ProxyService, but the Service no longer selects its proxies), or undefined when the takeover stands or
 * never happened. Pure.
 */
export function takeoverRevertedBy(
  record: TakeoverRecord | undefined,
  proxyServiceName: string,
  isSelectingProxies: boolean,
  selectorManagers: readonly string[],
): string | undefined {
  if (record === undefined || record.proxyService !== proxyServiceName || isSelectingProxies) return undefined;
  return selectorManagers[0] ?? "unknown";
}

export type RevertDecision =
  | { readonly kind: "reapply" }
  /** Stop fighting until `retryAfterMs` from now, when the oldest counted revert leaves the window. */
  | { readonly kind: "giveUp"; readonly retryAfterMs: number };

/**
 * What to do about a revert seen now: re-apply the takeover, unless this revert is the MAX_REVERTS-th of
 * the window (or a give-up of this generation still holds), then give up until the window lets the count
 * fall below the limit again. Pure.
 */
export function decideOnRevert(history: RevertHistory): RevertDecision {
  const { times, now } = history;
  const n = times.length + 1; // the revert seen now
  if (n >= MAX_REVERTS) {
    const retryAt = (times[n - MAX_REVERTS] ?? now) + REVERT_WINDOW_MS;
    return { kind: "giveUp", retryAfterMs: Math.max(1, retryAt - now) };
  }
  if (history.givenUpUntil !== undefined && history.givenUpUntil > now) {
    return { kind: "giveUp", retryAfterMs: history.givenUpUntil - now };
  }
  return { kind: "reapply" };
}

/**
 * Until when the give-up that status records for the current generation holds, so that a restarted operator
 * (whose tracker starts empty) keeps the decision: a window from the condition's last transition. That time
 * can be earlier than the give-up (Ready was already False for another reason), which only makes the retry
 * come sooner.
 */
export function givenUpUntil(proxyService: ProxyService): number | undefined {
  const ready = findCondition(proxyService.status?.conditions, ConditionTypes.Ready);
  if (ready?.reason !== Reasons.TakeoverReverted || ready.observedGeneration !== proxyService.metadata.generation) return undefined;
  return timeOf(ready.lastTransitionTime) + REVERT_WINDOW_MS;
}

interface SeenRevert {
  readonly generation: number;
  readonly serviceVersion: string;
  readonly at: number;
}

/**
 * Remembers, per ProxyService, when its takeover was found reverted. Each revert is counted once per
 * version of the Service (its resourceVersion), so reconciles that run before our re-takeover shows up in
 * the cache do not count the same revert twice. In memory only: after a restart the count starts over,
 * and the TakeoverReverted condition in status carries the decision across restarts instead (givenUpUntil).
 */
export class RevertTracker {
  readonly #seen = new Map<ObjectKey, SeenRevert[]>();

  /** The reverts of `generation` within the window, leaving out the one of `currentServiceVersion` (seen now). */
  history(key: ObjectKey, generation: number, currentServiceVersion: string | undefined, now: number, until?: number): RevertHistory {
    const times = this.#recent(key, generation, now)
      .filter((r) => r.serviceVersion !== currentServiceVersion)
      .map((r) => r.at);
    return { times, now, ...(until !== undefined ? { givenUpUntil: until } : {}) };
  }

  record(key: ObjectKey, generation: number, serviceVersion: string, now: number): void {
    const recent = this.#recent(key, generation, now);
    if (recent.some((r) => r.serviceVersion === serviceVersion)) return;
    this.#seen.set(key, [...recent, { generation, serviceVersion, at: now }]);
  }

  forget(key: ObjectKey): void {
    this.#seen.delete(key);
  }

  #recent(key: ObjectKey, generation: number, now: number): SeenRevert[] {
    return (this.#seen.get(key) ?? []).filter((r) => r.generation === generation && now - r.at < REVERT_WINDOW_MS);
  }
}
