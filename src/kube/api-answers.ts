/**
 * Tells whoever waits that the API server has answered a request with success again. After an API server
 * restart each watcher retries on its own backoff (up to 30 s), so without a signal a cache could come back
 * seconds after the server did; the first authorized answer to any request (the leader's Lease renewal comes
 * every retry period) wakes them all at once instead (issue 16: a fallback that fell due during the restart).
 */
export class ApiAnswers {
  #waiters = new Set<() => void>();

  /** Called by the HTTP layer on every successful response. */
  answered(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Calls `wake` once, at the next successful answer; returns a function that cancels it. */
  once(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }
}
