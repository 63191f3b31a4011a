/** Messages between the testbed runner and its backend process (over the fork IPC channel). */

/** Counters since the backend process started; the runner subtracts two snapshots. */
export interface BackendStats {
  /** Requests completed, per replica (503s of a failing replica not included). */
  served: number[];
  /** Requests answered with 503 by a failing replica, per replica. */
  failed: number[];
  /** Milliseconds spent in service (timer start to reply), per replica: the measured service time. */
  busyMs: number[];
  /** Requests waiting in each replica's FIFO queue right now. */
  queued: number[];
}

export type ToBackend = { type: "stats" };

export type FromBackend = { type: "ready"; ports: number[] } | { type: "stats"; stats: BackendStats };
