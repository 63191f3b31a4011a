import { systemClock, type Clock } from "./clock.js";
import type { RateLimiter } from "./rate-limiter.js";

/** Hooks for the workqueue_* metrics; the queue itself knows nothing of Prometheus. */
export interface QueueObserver {
  depth(n: number): void;
  added(): void;
  /** How long an item waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** How long a worker held an item. */
  worked(seconds: number): void;
  retried(): void;
}

const noObserver: QueueObserver = { depth() {}, added() {}, queued() {}, worked() {}, retried() {} };

/**
 * A work queue of object keys with client-go's guarantees:
 * - a key is queued at most once, however often it is added (de-duplication);
 * - a key is never handed to two workers at once: one added while it is being processed is queued again
 *   when `done` is called, so the latest state is always reconciled;
 * - `addRateLimited` retries with the limiter's per-item backoff, `forget` resets it.
 * Waiting uses the injected clock, so tests drive backoff with a fake clock.
 */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #observer: QueueObserver;
  #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Map<string, number>();
  readonly #addedAt = new Map<string, number>();
  /** Delayed adds: the earliest due time per key, so a key waits in one timer only. */
  readonly #waiting = new Map<string, { at: number; cancel: () => void }>();
  #waiters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(limiter: RateLimiter, clock: Clock = systemClock, observer: QueueObserver = noObserver) {
    this.#limiter = limiter;
    this.#clock = clock;
    this.#observer = observer;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#observer.added();
    this.#dirty.add(key);
    if (!this.#addedAt.has(key)) this.#addedAt.set(key, this.#clock.now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds `key` after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now() + ms;
    const pending = this.#waiting.get(key);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.#clock.setTimer(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, cancel });
  }

  /** Retries `key` after its backoff; returns the delay chosen. */
  addRateLimited(key: string): number {
    const delay = this.#limiter.when(key);
    this.#observer.retried();
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** The next key to work on; resolves to undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile it is queued again now. */
  done(key: string): void {
    const started = this.#processing.get(key);
    if (started !== undefined) this.#observer.worked((this.#clock.now() - started) / 1000);
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
  }

  get length(): number {
    return this.#queue.length;
  }

  /** Keys being processed, with when they started: for workqueue_unfinished_work_seconds. */
  get processingSince(): readonly number[] {
    return [...this.#processing.values()];
  }

  shutdown(): void {
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) w.cancel();
    this.#waiting.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(this.#take(key));
      return;
    }
    this.#queue.push(key);
    this.#observer.depth(this.#queue.length);
  }

  #take(key: string): string {
    this.#dirty.delete(key);
    this.#processing.set(key, this.#clock.now());
    const added = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (added !== undefined) this.#observer.queued((this.#clock.now() - added) / 1000);
    this.#observer.depth(this.#queue.length);
    return key;
  }
}
