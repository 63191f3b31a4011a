/** Time as the queue and the lease see it; injected so tests can drive backoff without waiting. */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retry must not keep a shutting-down process alive.
    t.unref();
    return () => clearTimeout(t);
  },
};
