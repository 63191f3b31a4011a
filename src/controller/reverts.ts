import type { ObjectKey } from "../kube/object.js";

/** How long a revert counts towards giving up: reverts further apart than this are a user's occasional edits. */
export const REVERT_WINDOW_MS = 10 * 60_000;

/**
 * Remembers, per ProxyService, when its takeover was found reverted. Each revert is counted once per
 * version of the Service (its resourceVersion), so reconciles that run before our re-takeover shows up in
 * the cache do not count the same revert twice. In memory only: after a restart the count starts over,
 * and the TakeoverReverted condition in status carries the decision across restarts instead.
 */
export class RevertTracker {
  readonly #seen = new Map<ObjectKey, { readonly version: string; readonly at: number }[]>();

  count(key: ObjectKey, now: number): number {
    return this.#recent(key, now).length;
  }

  record(key: ObjectKey, serviceVersion: string, now: number): void {
    const recent = this.#recent(key, now);
    if (recent.some((r) => r.version === serviceVersion)) return;
    this.#seen.set(key, [...recent, { version: serviceVersion, at: now }]);
  }

  forget(key: ObjectKey): void {
    this.#seen.delete(key);
  }

  #recent(key: ObjectKey, now: number): { readonly version: string; readonly at: number }[] {
    return (this.#seen.get(key) ?? []).filter((r) => now - r.at < REVERT_WINDOW_MS);
  }
}
