/**
 * The named sweeps: `default` (the report's numbers, under 15 minutes) and `smoke` (the test suite's
 * check, under 60 s). A sweep is a list of groups; each group varies one parameter and becomes one plot.
 */
import type { Mode, Policy, Scenario } from "./scenario.js";

/** The parameter a group varies, which is also its plot's x axis. */
export type Axis = "rho" | "callers" | "proxies" | "replicas" | "none";

export interface Group {
  name: string;
  title: string;
  axis: Axis;
  scenarios: Scenario[];
}

/** Mean service time of every replica, ms: long enough that loopback and HAProxy overheads are small. */
export const MEAN_MS = 20;

const BASE = { callers: 30, replicas: 10, workers: 1, rho: 0.8, proxies: 1, meanMs: MEAN_MS, service: "exp", seed: 1 } as const;

/** The policies compared at every point: shared random, sidecar and ProxyService LR(2), and the two full least-request ends. */
const ALL: ReadonlyArray<readonly [Mode, Policy]> = [
  ["proxy", "random"],
  ["sidecar", "lr2"],
  ["sidecar", "leastconn"],
  ["proxy", "lr2"],
  ["proxy", "leastconn"],
];
const SIDECAR_VS_PROXY: ReadonlyArray<readonly [Mode, Policy]> = [
  ["sidecar", "lr2"],
  ["sidecar", "leastconn"],
  ["proxy", "lr2"],
];

/** Request count for `seconds` of load at the scenario's offered rate, with a 10 % warm-up in front. */
function sized(s: Omit<Scenario, "requests" | "warmup">, seconds: number): Scenario {
  const rate = (s.rho * s.replicas * s.workers * 1000) / s.meanMs;
  const measured = Math.round(rate * seconds);
  const warmup = Math.round(measured / 10);
  return { ...s, requests: measured + warmup, warmup };
}

function grid<T>(values: readonly T[], policies: ReadonlyArray<readonly [Mode, Policy]>, make: (v: T, mode: Mode, policy: Policy) => Scenario): Scenario[] {
  return values.flatMap((v) => policies.map(([mode, policy]) => make(v, mode, policy)));
}

/** The default sweep; `scale` multiplies every duration (1 = about 11 minutes in all). */
export function defaultSweep(scale = 1): Group[] {
  const secs = (s: number): number => s * scale;
  return [
    {
      name: "load",
      title: "Latency vs load (30 callers, 10 replicas, exp service 20 ms)",
      axis: "rho",
      scenarios: grid([0.5, 0.7, 0.8, 0.9], ALL, (rho, mode, policy) => sized({ ...BASE, rho, mode, policy }, secs(14))),
    },
    {
      name: "callers",
      title: "Latency vs callers (10 replicas, rho 0.8)",
      axis: "callers",
      scenarios: grid([1, 3, 10, 30, 100], SIDECAR_VS_PROXY, (callers, mode, policy) => sized({ ...BASE, callers, mode, policy }, secs(10))),
    },
    {
      name: "proxies",
      title: "Latency vs number of proxies K (30 callers, 10 replicas, rho 0.8)",
      axis: "proxies",
      scenarios: [1, 2, 3, 5, 10].map((proxies) => sized({ ...BASE, proxies, mode: "proxy", policy: "lr2" }, secs(10))),
    },
    {
      name: "replicas",
      title: "Latency vs replicas (30 callers, rho 0.8)",
      axis: "replicas",
      scenarios: grid([5, 20], [["proxy", "random"], ["sidecar", "lr2"], ["proxy", "lr2"]], (replicas, mode, policy) =>
        sized({ ...BASE, replicas, mode, policy }, secs(10)),
      ),
    },
    {
      // The cost of the extra hop: deterministic service, low load, with and without HAProxy in the path.
      name: "hop",
      title: "Extra hop at low load (det service 20 ms, rho 0.1, 20 replicas)",
      axis: "none",
      scenarios: [
        sized({ ...BASE, replicas: 20, rho: 0.1, service: "det", mode: "direct", policy: "random" }, secs(15)),
        sized({ ...BASE, replicas: 20, rho: 0.1, service: "det", mode: "proxy", policy: "random" }, secs(15)),
      ],
    },
  ];
}

/**
 * The `claim` sweep: the published comparison at the largest size this machine hosts comfortably
 * (100 callers, 20 replicas, rho 0.9, about 900 req/s), with 30 s of load per configuration because
 * the random baseline's queues relax slowly at rho 0.9. About 2.5 minutes. `service` is the
 * service-time distribution (`exp`, `det`, `lognormal[:cv]`).
 */
export function claimSweep(scale = 1, service = "exp"): Group[] {
  const base = { ...BASE, callers: 100, replicas: 20, rho: 0.9, service };
  return [
    {
      name: "claim",
      title: `Published comparison at 100 callers, 20 replicas, rho 0.9, ${service} service 20 ms`,
      axis: "none",
      scenarios: ([["proxy", "random"], ["sidecar", "lr2"], ["proxy", "lr2"], ["proxy", "leastconn"]] as const).map(([mode, policy]) =>
        sized({ ...base, mode, policy }, 30 * scale),
      ),
    },
  ];
}

/** The three least-request candidate counts of `spec.leastRequest.choices` compared: 2 (the default), 4, and All. */
const CHOICES: readonly Policy[] = ["lr2", "lr4", "leastconn"];

/**
 * The `choices` sweep (issue 12): one and several shared proxies with 2, 4 and all candidates,
 * at the default sweep's point (30 callers, 10 replicas, rho 0.8; K = 1 to 5, 8 and 10, where a
 * full scan in independent proxies could herd) and at the claim's point (100 callers, 20 replicas, rho 0.9;
 * K = 1, 2, 4), with sidecar LR(2) at each point for reference; then HAProxy's CPU as R grows
 * (R = 20, 50, 100 at the same ~800 req/s: random(2), leastconn, and random(R) as a balancer whose
 * work per request is linear in R like a full scan's). About 9 minutes.
 */
export function choicesSweep(scale = 1): Group[] {
  const secs = (s: number): number => s * scale;
  const claim = { ...BASE, callers: 100, replicas: 20, rho: 0.9 };
  const cpuRate = 800;
  return [
    {
      name: "choices-k",
      title: "Candidates vs number of proxies K (30 callers, 10 replicas, rho 0.8)",
      axis: "proxies",
      scenarios: [
        sized({ ...BASE, mode: "sidecar", policy: "lr2" }, secs(10)),
        ...[1, 2, 3, 4, 5, 8, 10].flatMap((proxies) => CHOICES.map((policy) => sized({ ...BASE, proxies, mode: "proxy", policy }, secs(10)))),
      ],
    },
    {
      name: "choices-claim",
      title: "Candidates vs number of proxies K (100 callers, 20 replicas, rho 0.9)",
      axis: "proxies",
      scenarios: [
        sized({ ...claim, mode: "sidecar", policy: "lr2" }, secs(10)),
        ...[1, 2, 4].flatMap((proxies) => CHOICES.map((policy) => sized({ ...claim, proxies, mode: "proxy", policy }, secs(10)))),
      ],
    },
    {
      name: "choices-cpu",
      title: `HAProxy CPU vs replicas at ${cpuRate} req/s (one proxy, 30 callers)`,
      axis: "replicas",
      scenarios: [20, 50, 100].flatMap((replicas) =>
        (["lr2", "leastconn", "lrR"] as const).map((policy) =>
          sized({ ...BASE, replicas, rho: (cpuRate * MEAN_MS) / 1000 / replicas, mode: "proxy", policy }, secs(15)),
        ),
      ),
    },
  ];
}

/**
 * The smoke sweep: every mode once at rho 0.8, 30 callers, 10 replicas. The two modes the test
 * compares get 3,000 requests each, enough that ProxyService's lead over sidecar (about 1.8x on the
 * mean here) stands many standard errors clear even on a busy machine.
 */
export function smokeSweep(): Group[] {
  const at = (mode: Mode, policy: Policy, requests: number): Scenario => ({ ...BASE, mode, policy, requests, warmup: Math.round(requests / 10) });
  return [
    {
      name: "smoke",
      title: "Smoke: every mode at rho 0.8, 30 callers, 10 replicas",
      axis: "none",
      scenarios: [
        at("sidecar", "lr2", 3_000),
        at("proxy", "lr2", 3_000),
        at("proxy", "random", 1_500),
        // The full scan (choices: All) against LR(2) in one proxy: about 1.5x apart on the mean here.
        at("proxy", "leastconn", 3_000),
        at("proxy", "lr4", 1_500),
        at("direct", "random", 1_500),
      ],
    },
  ];
}

/** The fast-failing replica of the failing sweep: the last of 10 answers every request with 503 after 1 ms. */
export const FAILING = { count: 1, rate: 1, ms: 1 } as const;
/** HAProxy's outlier detection in the failing sweep: 5 errors in a row (Envoy's consecutive_5xx), out for 10 s. */
export const FAILING_OUTLIER_DETECTION = { errorLimit: 5, ejectionMs: 10_000 } as const;

/**
 * A replica that fails fast (issue 19): 30 callers, 10 replicas, rho 0.8, the last replica
 * answering 503 in 1 ms, in the sidecar layout and one proxy (two choices and a full scan), with
 * and without HAProxy's outlier detection. 45 s of load each (`scale` multiplies it): long enough
 * for several 10 s ejections; about 5 minutes in all.
 */
export function failingSweep(scale = 1): Group[] {
  const layouts: ReadonlyArray<readonly [Mode, Policy]> = [
    ["sidecar", "lr2"],
    ["proxy", "lr2"],
    ["proxy", "leastconn"],
  ];
  const make = (outlierDetection: boolean) => (mode: Mode, policy: Policy): Scenario =>
    sized({ ...BASE, mode, policy, failing: FAILING, ...(outlierDetection ? { outlierDetection: FAILING_OUTLIER_DETECTION } : {}) }, 45 * scale);
  return [
    { name: "failing", title: "One replica failing fast (503 in 1 ms), no outlier detection (30 callers, 10 replicas, rho 0.8)", axis: "none", scenarios: layouts.map(([m, p]) => make(false)(m, p)) },
    { name: "failing-od", title: "One replica failing fast, HAProxy outlier detection (5 errors in a row, out for 10 s)", axis: "none", scenarios: layouts.map(([m, p]) => make(true)(m, p)) },
  ];
}
