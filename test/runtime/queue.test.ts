import { describe, expect, it } from "vitest";
import { FakeClock } from "../support/fake-clock.js";
import { WorkQueue } from "../../src/runtime/queue.js";
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from "../../src/runtime/rate-limiter.js";

const newQueue = (clock = new FakeClock()) => {
  const limiter = new ItemExponentialRateLimiter(5, 1000);
  return { clock, limiter, queue: new WorkQueue(limiter, clock) };
};

describe("WorkQueue", () => {
  it("queues a key once however often it is added", async () => {
    const { queue } = newQueue();
    queue.add("ns/a");
    queue.add("ns/a");
    queue.add("ns/b");
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("ns/a");
    expect(await queue.get()).toBe("ns/b");
  });

  it("never hands a key being processed to a second worker, and re-queues it on done", async () => {
    const { queue } = newQueue();
    queue.add("ns/a");
    const key = await queue.get();
    queue.add("ns/a");
    expect(queue.length).toBe(0);
    queue.done(key!);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe("ns/a");
  });

  it("retries with per-item exponential backoff and forget resets it", async () => {
    const { clock, limiter, queue } = newQueue();
    expect([queue.addRateLimited("ns/a"), queue.addRateLimited("ns/a"), queue.addRateLimited("ns/a")]).toEqual([5, 10, 20]);
    expect(queue.addRateLimited("ns/b")).toBe(5);
    expect(limiter.numRequeues("ns/a")).toBe(3);
    clock.advance(4);
    expect(queue.length).toBe(0);
    clock.advance(1);
    expect(queue.length).toBe(2); // both keys' earliest timers fired; later ones de-duplicate
    queue.forget("ns/a");
    expect(queue.addRateLimited("ns/a")).toBe(5);
  });

  it("caps the backoff", () => {
    const limiter = new ItemExponentialRateLimiter(5, 1000);
    const delays = Array.from({ length: 12 }, () => limiter.when("k"));
    expect(delays.at(-1)).toBe(1000);
  });

  it("keeps only the earliest of several delayed adds for one key", () => {
    const { clock, queue } = newQueue();
    queue.addAfter("ns/a", 1000);
    queue.addAfter("ns/a", 100);
    queue.addAfter("ns/a", 5000);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(queue.length).toBe(1);
  });

  it("wakes a waiting worker and releases workers on shutdown", async () => {
    const { queue } = newQueue();
    const waiting = queue.get();
    queue.add("ns/a");
    expect(await waiting).toBe("ns/a");
    const idle = queue.get();
    queue.shutdown();
    expect(await idle).toBeUndefined();
  });

  it("limits the overall rate with a token bucket", () => {
    const clock = new FakeClock();
    const limiter = new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000), new BucketRateLimiter(clock, 10, 2));
    expect(limiter.when("a")).toBe(5);
    expect(limiter.when("b")).toBe(5);
    expect(limiter.when("c")).toBe(100); // the bucket is empty: 1 token / 10 qps = 100 ms
    clock.advance(1000);
    expect(limiter.when("d")).toBe(5);
  });
});
