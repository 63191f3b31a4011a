/**
 * What a reconcile asks for next. Errors are thrown, never returned alongside an outcome, so the worker
 * never has to guess what "a result and an error" means (controller-runtime logs that case as ambiguous).
 * A spec the user must fix is not thrown either: it is reported in status and the outcome is terminal, which
 * the worker counts as an error and a terminal error but never retries, as controller-runtime does with a
 * TerminalError. Only a watch event (the spec or a Service it depends on changed) brings the key back.
 */
export type Outcome =
  /** Converged, or nothing to do until a watch event says otherwise. */
  | { readonly kind: "done" }
  /** Waiting on something that is not an error (a missing Service, no Ready proxy): retry with backoff. */
  | { readonly kind: "waiting"; readonly reason: string }
  /** Come back after a fixed time, for example to re-check a revert window. */
  | { readonly kind: "requeueAfter"; readonly ms: number; readonly reason: string }
  /** The spec cannot be carried out as it is (SpecInvalid, TakeoverRefused): the user's to fix, not retried. */
  | { readonly kind: "terminal"; readonly reason: string; readonly message: string };

export const Outcome = {
  done: (): Outcome => ({ kind: "done" }),
  waiting: (reason: string): Outcome => ({ kind: "waiting", reason }),
  requeueAfter: (ms: number, reason: string): Outcome => ({ kind: "requeueAfter", ms, reason }),
  terminal: (reason: string, message: string): Outcome => ({ kind: "terminal", reason, message }),
};
