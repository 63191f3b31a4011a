import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { splitKey } from "../kube/object.js";
import type { ControllerMetrics } from "./metrics.js";
import type { Outcome } from "./outcome.js";
import type { WorkQueue } from "./queue.js";
import { ItemExponentialRateLimiter } from "./rate-limiter.js";

export type ReconcileFn = (key: string, log: Logger) => Promise<Outcome>;


/**
 * Runs `concurrency` workers until the queue shuts down. Each takes a key, reconciles it with a logger that
 * carries namespace, name and a fresh reconcileID, and one `switch` decides what happens next:
 * an error is retried with the key's backoff, waiting is retried with backoff capped at a minute,
 * "after N" forgets the failures and comes back later, done forgets, and terminal (a spec the user must fix)
 * is counted as an error but never retried. Errors are logged here, once.
 */
export async function runWorkers(
  queue: WorkQueue,
  reconcile: ReconcileFn,
  opts: { concurrency: number; log: Logger; metrics: ControllerMetrics },
): Promise<void> {
  const { metrics, log } = opts;
  const controller = metrics.controller;
  metrics.maxConcurrent.set({ controller }, opts.concurrency);
  // Waiting has its own backoff, 1 s doubling to a minute: slower than the error limiter's 5 ms start,
  // since a watch event usually ends the wait, and the timer is only the safety net.
  const waiting = new ItemExponentialRateLimiter(1000, 60_000);
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      metrics.activeWorkers.inc({ controller });
      const started = process.hrtime.bigint();
      const rlog = log.child({ ...splitKey(key), reconcileID: randomUUID() });
      try {
        const outcome = await reconcile(key, rlog);
        if (outcome.kind !== "waiting") waiting.forget(key);
        handleOutcome(queue, key, outcome, rlog, metrics, waiting);
      } catch (err) {
        metrics.reconcileErrors.inc({ controller });
        metrics.reconcileTotal.inc({ controller, result: "error" });
        // JavaScript has no panics; a programming error (a TypeError, or a thrown non-Error) is the closest
        // thing, and is counted as one so that dashboards built for controller-runtime show it.
        if (isProgrammingError(err)) metrics.reconcilePanics.inc({ controller });
        const delayMs = queue.addRateLimited(key);
        rlog.error({ err, retryInMs: delayMs }, "reconcile failed");
      } finally {
        metrics.reconcileTime.observe({ controller }, Number(process.hrtime.bigint() - started) / 1e9);
        metrics.activeWorkers.dec({ controller });
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
}

function handleOutcome(
  queue: WorkQueue,
  key: string,
  outcome: Outcome,
  log: Logger,
  metrics: ControllerMetrics,
  waiting: ItemExponentialRateLimiter,
): void {
  const controller = metrics.controller;
  switch (outcome.kind) {
    case "done":
      queue.forget(key);
      metrics.reconcileTotal.inc({ controller, result: "success" });
      log.debug("reconciled");
      return;
    case "waiting": {
      queue.forget(key);
      const delayMs = waiting.when(key);
      queue.addAfter(key, delayMs);
      metrics.reconcileTotal.inc({ controller, result: "requeue" });
      log.debug({ waitingFor: outcome.reason, retryInMs: delayMs }, "waiting");
      return;
    }
    case "requeueAfter":
      queue.forget(key);
      queue.addAfter(key, outcome.ms);
      metrics.reconcileTotal.inc({ controller, result: "requeue_after" });
      log.debug({ reason: outcome.reason, afterMs: outcome.ms }, "requeue after");
      return;
    case "terminal":
      // controller-runtime's TerminalError: an error in reconcile_total and reconcile_errors_total, and a terminal
      // one, but not requeued, since no retry can fix a spec. A watch event on the spec or an input brings it back.
      queue.forget(key);
      metrics.reconcileErrors.inc({ controller });
      metrics.terminalReconcileErrors.inc({ controller });
      metrics.reconcileTotal.inc({ controller, result: "error" });
      log.warn({ reason: outcome.reason, problem: outcome.message }, "spec refused");
      return;
  }
}

function isProgrammingError(err: unknown): boolean {
  let e: unknown = err;
  while (e instanceof Error && e.cause !== undefined) e = e.cause; // stage() wraps the original as its cause
  return !(e instanceof Error) || e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError;
}
