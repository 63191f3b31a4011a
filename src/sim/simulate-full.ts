import { arrivalGaps } from "./arrivals.js";
import type { SimConfig } from "./config.js";
import { serviceSampler } from "./distributions.js";
import { Eligibility } from "./eligibility.js";
import { EventHeap } from "./event-heap.js";
import { LatencyHistogram } from "./histogram.js";
import { OrcaWrrPicker } from "./orca-wrr.js";
import { OutlierDetector } from "./outlier-detector.js";
import { PeakEwmaPicker } from "./peak-ewma.js";
import { ClassicPicker, type Picker, type PickerContext } from "./pickers.js";
import { PrequalPicker } from "./prequal.js";
import { ReplicaState } from "./replica-state.js";
import type { Rng } from "./rng.js";
import type { SimResult } from "./simulate.js";
import { loadSpread } from "./spread.js";

/** Whether `c` needs the full model: a policy that asks more than its own counts, unequal replicas, or ejection. */
export function needsFullModel(c: SimConfig): boolean {
  return c.policy === "peak-ewma" || c.policy === "orca-wrr" || c.policy === "prequal" || c.slow.count > 0 || c.failing.count > 0 || c.outlierDetection !== null;
}

function createPicker(ctx: PickerContext): Picker {
  switch (ctx.config.policy) {
    case "peak-ewma":
      return new PeakEwmaPicker(ctx);
    case "orca-wrr":
      return new OrcaWrrPicker(ctx);
    case "prequal":
      return new PrequalPicker(ctx);
    default:
      return new ClassicPicker(ctx);
  }
}

/**
 * The full model behind simulate(): the same FIFO replicas and arrival process as the fast path,
 * plus what the alternatives and the failure cases need: each request remembers when it left and
 * whether it failed, so that its balancer hears its latency and outcome; replicas count their
 * requests in flight; slow replicas stretch their service times; a failing replica answers a
 * fraction of its requests with an error after `failing.time` (the error goes through its FIFO
 * queue like any request); an outlier detector per balancer ejects replicas. Latency statistics
 * cover the successful requests; `failedFraction` counts the rest. `c` is already validated.
 */
export function simulateFull(c: SimConfig, rng: Rng): SimResult {
  const R = c.replicas;
  const W = c.workers;
  const balancerCount = c.mode === "sidecar" ? c.callers : c.mode === "proxy" ? c.proxies : 1;
  const eligibility = new Eligibility(balancerCount, R);
  const replicas = new ReplicaState(c);
  const outstanding = new Int32Array(balancerCount * R);
  const ctx: PickerContext = { config: c, balancers: balancerCount, eligibility, replicas, outstanding, rng };
  const picker = createPicker(ctx);
  const detector = c.outlierDetection === null ? null : new OutlierDetector(balancerCount, R, c.outlierDetection, eligibility);
  const nextGap = arrivalGaps(c.arrivals, c.load * R * W, rng);
  const nextService = serviceSampler(c.service, rng);
  const hop = c.mode === "proxy" ? c.hopLatency : 0;
  const workerFreeAt = new Float64Array(R * W);
  const perReplica = new Float64Array(R);
  const completions = new EventHeap(4 * R * W);
  const histogram = new LatencyHistogram();
  const requests = new InFlightRequests();
  const warmup = Math.floor(c.requests * c.warmupFraction);

  const complete = (id: number, at: number): void => {
    const b = requests.balancer[id] as number;
    const r = requests.replica[id] as number;
    const failed = (requests.failed[id] as number) === 1;
    const latency = at - (requests.sentAt[id] as number);
    picker.completed(b, r, at, latency, failed);
    replicas.complete(r, at, failed, requests.inFlightAtArrival[id] as number, latency);
    replicas.changeInFlight(r, at, -1);
    outstanding[b * R + r] = (outstanding[b * R + r] as number) - 1;
    detector?.record(b, r, failed, at);
    requests.free(id);
  };

  let now = 0;
  let windowStart = 0;
  let completedInWindow = 0;
  let measured = 0;
  let failures = 0;
  for (let i = 0; i < c.requests; i++) {
    now += nextGap();
    if (i === warmup) {
      windowStart = now;
      completedInWindow = 0;
    }
    while (completions.peekTime() <= now) {
      const at = completions.peekTime();
      complete(completions.pop(), at);
      completedInWindow++;
    }
    const b = balancerCount === 1 ? 0 : rng.int(balancerCount);
    detector?.release(b, now);
    const r = picker.pick(b, now);
    replicas.changeInFlight(r, now, +1);
    const inFlight = replicas.inFlight[r] as number;
    outstanding[b * R + r] = (outstanding[b * R + r] as number) + 1;
    picker.sent(b, r, now);
    const failed = replicas.failing[r] === 1 && rng.uniform() < c.failing.rate;
    const service = failed ? c.failing.time : nextService() * (replicas.speed[r] as number);
    const worker = W === 1 ? r : earliestWorker(workerFreeAt, r * W, W);
    const free = workerFreeAt[worker] as number;
    const done = (free > now ? free : now) + service;
    workerFreeAt[worker] = done;
    completions.push(done, requests.add(b, r, now, failed, inFlight));
    if (i >= warmup) {
      measured++;
      perReplica[r] = (perReplica[r] as number) + 1;
      if (failed) failures++;
      else histogram.add(done - now + hop);
    }
  }
  const elapsed = now - windowStart;
  return {
    requests: measured,
    throughput: elapsed > 0 ? completedInWindow / elapsed : Number.NaN,
    mean: histogram.mean,
    p50: histogram.quantile(0.5),
    p95: histogram.quantile(0.95),
    p99: histogram.quantile(0.99),
    p999: histogram.quantile(0.999),
    max: histogram.max,
    percentileError: histogram.relativeError,
    loadSpread: loadSpread(perReplica),
    failedFraction: measured > 0 ? failures / measured : 0,
    ejections: detector?.ejections ?? 0,
  };
}

function earliestWorker(freeAt: Float64Array, base: number, workers: number): number {
  let best = base;
  for (let k = base + 1; k < base + workers; k++) if ((freeAt[k] as number) < (freeAt[best] as number)) best = k;
  return best;
}

/** The requests in the system, in typed arrays recycled through a free list, so a run allocates nothing per request. */
class InFlightRequests {
  balancer = new Int32Array(1024);
  replica = new Int32Array(1024);
  sentAt = new Float64Array(1024);
  failed = new Uint8Array(1024);
  inFlightAtArrival = new Int32Array(1024);
  #free: number[] = [];
  #size = 0;

  add(b: number, r: number, sentAt: number, failed: boolean, inFlight: number): number {
    let id = this.#free.pop();
    if (id === undefined) {
      if (this.#size === this.balancer.length) this.#grow();
      id = this.#size++;
    }
    this.balancer[id] = b;
    this.replica[id] = r;
    this.sentAt[id] = sentAt;
    this.failed[id] = failed ? 1 : 0;
    this.inFlightAtArrival[id] = inFlight;
    return id;
  }

  free(id: number): void {
    this.#free.push(id);
  }

  #grow(): void {
    const n = this.balancer.length * 2;
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const a = make(n);
      a.set(old);
      return a;
    };
    this.balancer = grow(this.balancer, (k) => new Int32Array(k));
    this.replica = grow(this.replica, (k) => new Int32Array(k));
    this.sentAt = grow(this.sentAt, (k) => new Float64Array(k));
    this.failed = grow(this.failed, (k) => new Uint8Array(k));
    this.inFlightAtArrival = grow(this.inFlightAtArrival, (k) => new Int32Array(k));
  }
}
