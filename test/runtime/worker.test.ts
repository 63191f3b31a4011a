import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { FakeClock } from "../support/fake-clock.js";
import { ControllerMetrics } from "../../src/runtime/metrics.js";
import { Outcome } from "../../src/runtime/outcome.js";
import { WorkQueue } from "../../src/runtime/queue.js";
import { ItemExponentialRateLimiter } from "../../src/runtime/rate-limiter.js";
import { runWorkers } from "../../src/runtime/worker.js";

// The worker's one switch over what a reconcile returned or threw: what goes back to the queue, and when.

/** Runs one worker over one key until that reconcile's outcome is handled; `stop` ends the worker. */
async function runOnce(
  result: () => Promise<Outcome>,
): Promise<{ queue: WorkQueue; limiter: ItemExponentialRateLimiter; clock: FakeClock; metrics: ControllerMetrics; calls: () => number; stop: () => Promise<void> }> {
  const clock = new FakeClock(0);
  const limiter = new ItemExponentialRateLimiter(5, 1000);
  const queue = new WorkQueue(limiter, clock);
  const metrics = new ControllerMetrics("proxyservice");
  let calls = 0;
  let release: () => void = () => undefined;
  const reconciled = new Promise<void>((resolve) => (release = resolve));
  queue.add("ns/a");
  const workers = runWorkers(
    queue,
    async () => {
      calls++;
      try {
        return await result();
      } finally {
        release();
      }
    },
    { concurrency: 1, log: pino({ level: "silent" }), metrics },
  );
  await reconciled;
  // Let the worker finish its bookkeeping for this key (done), then stop it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const stop = async (): Promise<void> => {
    queue.shutdown();
    await workers;
  };
  return { queue, limiter, clock, metrics, calls: () => calls, stop };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const total = async (metrics: ControllerMetrics, result: string): Promise<number> =>
  (await metrics.reconcileTotal.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

describe("runWorkers' outcome handling", () => {
  it("done: forgets the key and counts a success", async () => {
    const { queue, limiter, metrics, stop } = await runOnce(async () => Outcome.done());
    expect(queue.length).toBe(0);
    expect(limiter.numRequeues("ns/a")).toBe(0);
    expect(await total(metrics, "success")).toBe(1);
    await stop();
  });

  it("requeueAfter: comes back exactly after the given time", async () => {
    const { clock, metrics, calls, stop } = await runOnce(async () => Outcome.requeueAfter(60_000, "TakeoverReverted"));
    expect(await total(metrics, "requeue_after")).toBe(1);
    clock.advance(59_999);
    await settled();
    expect(calls()).toBe(1);
    clock.advance(1);
    await settled();
    expect(calls()).toBe(2);
    await stop();
  });

  it("an error: counted, and retried with the key's backoff", async () => {
    const { limiter, clock, metrics, calls, stop } = await runOnce(async () => {
      throw new Error("apply Deployment ps-s0: 500");
    });
    expect(await total(metrics, "error")).toBe(1);
    expect(limiter.numRequeues("ns/a")).toBe(1);
    clock.advance(5);
    await settled();
    expect(calls()).toBe(2);
    await stop();
  });

  it("terminal (a spec the user must fix): counted as an error and a terminal error, never retried by the queue", async () => {
    const { queue, limiter, clock, metrics, calls, stop } = await runOnce(async () => Outcome.terminal("SpecInvalid", "spec.port: Service \"sn0\" has no port 8080; set spec.port to 80"));
    expect(await total(metrics, "error")).toBe(1);
    expect(await total(metrics, "success")).toBe(0);
    expect((await metrics.terminalReconcileErrors.get()).values[0]?.value).toBe(1);
    expect((await metrics.reconcileErrors.get()).values[0]?.value).toBe(1);
    expect(limiter.numRequeues("ns/a")).toBe(0);
    clock.advance(3_600_000);
    await settled();
    expect(queue.length).toBe(0);
    expect(calls()).toBe(1);
    await stop();
  });

  it("waiting: retried after a second, not at the error limiter's pace", async () => {
    const { clock, metrics, calls, stop } = await runOnce(async () => Outcome.waiting("ProxyNotAvailable"));
    expect(await total(metrics, "requeue")).toBe(1);
    clock.advance(999);
    await settled();
    expect(calls()).toBe(1);
    clock.advance(1);
    await settled();
    expect(calls()).toBe(2);
    await stop();
  });
});
