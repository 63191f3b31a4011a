/**
 * The open-loop load generator: Poisson arrivals at a fixed rate, spread uniformly over M callers, each
 * caller with its own keep-alive connection pool. A request is sent at its scheduled instant whether or
 * not earlier ones have returned (never a closed loop), and its latency is measured from that scheduled
 * instant, so a late send (a busy event loop) counts against the latency instead of hiding queueing
 * (coordinated omission). Bounded in count and in time: outstanding requests are cut off and counted
 * as errors at a hard deadline.
 */
import { Agent, request } from "node:http";
import { seededUniform, type Uniform } from "./random.js";

export interface LoadOptions {
  callers: number;
  /** Aggregate arrival rate, requests per second. */
  rate: number;
  /** Requests to send in all, including the warm-up. */
  requests: number;
  /** The first `warmup` requests (by schedule) are sent but not measured. */
  warmup: number;
  /** The port caller `caller` sends its next request to (its sidecar, a random proxy, a random replica). */
  target: (caller: number, uniform: Uniform) => number;
  /** Number of replicas, to count each one's share from the `x-backend` reply header. */
  replicas: number;
  seed: number;
  /** Per-request limit; also bounds the drain after the last send. */
  timeoutMs: number;
}

export interface LoadResult {
  /** Latencies of the measured, successful requests, in milliseconds, in completion order. */
  latenciesMs: Float64Array;
  measured: number;
  /** Measured requests answered with an HTTP 5xx (a failing replica's errors); not in `measured`. */
  failedMeasured: number;
  errors: number;
  /** Up to five error messages, to explain a non-zero count. */
  errorSamples: string[];
  /** Successful measured requests per replica. */
  perBackend: number[];
  /** Measured requests completed per second while the load was on (from the first measured send to the last send). */
  throughput: number;
  /** How late the generator sent, in ms (p99 and max over all requests): a check that it kept up. */
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** Wall time from the first scheduled send to the last completion, in seconds. */
  wallSeconds: number;
}

/** Runs the load and resolves when every request has completed or been cut off. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const uniform = seededUniform(options.seed);
  const schedule = new Float64Array(options.requests);
  const callerOf = new Uint32Array(options.requests);
  let t = 0;
  for (let i = 0; i < options.requests; i++) {
    t += (-Math.log(1 - uniform()) / options.rate) * 1000;
    schedule[i] = t;
    callerOf[i] = Math.floor(uniform() * options.callers);
  }
  const agents = Array.from({ length: options.callers }, () => new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 }));
  const latencies = new Float64Array(options.requests);
  const sendLag = new Float64Array(options.requests);
  const perBackend = new Array<number>(options.replicas).fill(0);
  const errorSamples: string[] = [];
  let measuredOk = 0;
  let failedMeasured = 0;
  let errors = 0;
  let done = 0;
  let lastCompletion = 0;
  let firstMeasuredStart = Number.POSITIVE_INFINITY;
  let completedInWindow = 0;

  const start = performance.now() + 100;
  const lastSend = start + (schedule[options.requests - 1] ?? 0);
  const hardDeadline = lastSend + options.timeoutMs + 1_000;

  return await new Promise<LoadResult>((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(watchdog);
      for (const agent of agents) agent.destroy();
      const outstanding = options.requests - done;
      errors += outstanding;
      if (outstanding > 0) errorSamples.push(`${outstanding} requests outstanding at the hard deadline`);
      const window = (lastSend - firstMeasuredStart) / 1000;
      const lags = Array.from(sendLag).sort((a, b) => a - b);
      resolve({
        latenciesMs: latencies.slice(0, measuredOk),
        measured: measuredOk,
        failedMeasured,
        errors,
        errorSamples,
        perBackend,
        throughput: window > 0 ? completedInWindow / window : 0,
        sendLagP99Ms: lags[Math.floor(0.99 * (lags.length - 1))] ?? 0,
        sendLagMaxMs: lags[lags.length - 1] ?? 0,
        wallSeconds: (lastCompletion - start) / 1000,
      });
    };
    const watchdog = setTimeout(finish, hardDeadline - performance.now());

    const complete = (i: number, ok: boolean, backend: number, message?: string, status?: number): void => {
      done += 1;
      const now = performance.now();
      lastCompletion = Math.max(lastCompletion, now);
      if (ok && now >= firstMeasuredStart && now <= lastSend) completedInWindow += 1;
      if (!ok) {
        errors += 1;
        if (status !== undefined && status >= 500 && i >= options.warmup) failedMeasured += 1;
        if (message !== undefined && errorSamples.length < 5) errorSamples.push(message);
      } else if (i >= options.warmup) {
        latencies[measuredOk++] = now - (start + (schedule[i] ?? 0));
        if (backend >= 0 && backend < perBackend.length) perBackend[backend] = (perBackend[backend] ?? 0) + 1;
      }
      if (done === options.requests) finish();
    };

    const send = (i: number): void => {
      const caller = callerOf[i] ?? 0;
      const scheduled = start + (schedule[i] ?? 0);
      sendLag[i] = performance.now() - scheduled;
      if (i === options.warmup) firstMeasuredStart = scheduled;
      let settled = false;
      const settle = (ok: boolean, backend: number, message?: string, status?: number): void => {
        if (settled) return;
        settled = true;
        complete(i, ok, backend, message, status);
      };
      const req = request(
        { host: "127.0.0.1", port: options.target(caller, uniform), path: "/", method: "GET", agent: agents[caller] },
        (res) => {
          const backend = Number(res.headers["x-backend"] ?? -1);
          res.resume();
          res.once("end", () => settle(res.statusCode === 200, backend, `HTTP ${res.statusCode}`, res.statusCode));
          res.once("error", (err) => settle(false, -1, err.message));
        },
      );
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
      req.once("error", (err) => settle(false, -1, err.message));
      req.end();
    };

    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < options.requests && start + (schedule[next] ?? 0) <= now) send(next++);
      if (next < options.requests) setTimeout(tick, Math.max(0, start + (schedule[next] ?? 0) - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}
