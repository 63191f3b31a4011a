import { type ArrivalSpec, type Draws, DEFAULT_CONFIG, type Mode, type OutlierDetection, type Policy, POLICIES, type SimConfig } from "./config.js";
import type { ServiceSpec } from "./distributions.js";
import { ASSUMED_SERVICE_MEAN_SECONDS, OUTLIER_DEFAULTS_SECONDS, type PolicyParams, policyParamsFor } from "./policy-params.js";
import { parseTime } from "./units.js";

/**
 * Turns the `simulate` command's option strings into a SimConfig. Pure: file contents arrive
 * already read, in `files`, keyed by the path given on the command line. Every error names the
 * flag and says how to fix it, since this is the user's input.
 */

/** Raw option values keyed by flag name without dashes (e.g. "hop-latency"); absent means default. */
export type RawOptions = Readonly<Record<string, string | undefined>>;
/** Numbers read from files named by --service file:PATH and --arrivals PATH. */
export type FileNumbers = ReadonlyMap<string, readonly number[]>;

/** The options a sweep may vary, in the order tables list them. */
export const SWEEP_KEYS = [
  "mode",
  "policy",
  "choices",
  "draws",
  "callers",
  "replicas",
  "workers",
  "load",
  "proxies",
  "service",
  "hop-latency",
  "seed",
  "requests",
  "slow-replicas",
  "slowdown",
  "failing-replicas",
  "failure-rate",
  "outlier-detection",
] as const;
export type SweepKey = (typeof SWEEP_KEYS)[number];

export class OptionError extends Error {
  constructor(
    readonly flag: string,
    problem: string,
    fix: string,
  ) {
    super(`--${flag}: ${problem}; ${fix}`);
    this.name = "OptionError";
  }
}

/** A config plus the real length of the time unit, when --service-mean gave one (null: unit is the mean service time). */
export interface ParsedOptions {
  readonly config: SimConfig;
  readonly serviceMeanSeconds: number | null;
}

export function parseOptions(raw: RawOptions, files: FileNumbers = new Map()): ParsedOptions {
  const serviceMeanSeconds = parseServiceMean(raw["service-mean"]);
  const config: SimConfig = {
    ...DEFAULT_CONFIG,
    callers: integer(raw, "callers", DEFAULT_CONFIG.callers),
    replicas: integer(raw, "replicas", DEFAULT_CONFIG.replicas),
    workers: integer(raw, "workers", DEFAULT_CONFIG.workers),
    load: load(raw["load"]),
    policy: oneOf<Policy>(raw, "policy", POLICIES, DEFAULT_CONFIG.policy),
    choices: raw["choices"]?.trim() === "all" ? "all" : integer(raw, "choices", 2),
    draws: draws(raw["draws"]),
    mode: oneOf<Mode>(raw, "mode", ["sidecar", "proxy", "global"], DEFAULT_CONFIG.mode),
    proxies: integer(raw, "proxies", DEFAULT_CONFIG.proxies),
    service: service(raw["service"], files),
    arrivals: arrivals(raw["arrivals"], files),
    hopLatency: time(raw, "hop-latency", serviceMeanSeconds),
    requests: integer(raw, "requests", DEFAULT_CONFIG.requests),
    seed: integer(raw, "seed", DEFAULT_CONFIG.seed, 0),
    warmupFraction: fraction(raw["warmup"]),
    params: policyParams(raw, serviceMeanSeconds),
    slow: { count: integer(raw, "slow-replicas", 0, 0), factor: number(raw, "slowdown", 3, 1) },
    failing: {
      count: integer(raw, "failing-replicas", 0, 0),
      rate: probability(raw, "failure-rate", 1),
      time: timeOr(raw, "failure-time", serviceMeanSeconds, 0.001),
    },
    outlierDetection: outlierDetection(raw, serviceMeanSeconds),
  };
  return { config, serviceMeanSeconds };
}

/**
 * The alternatives' parameters: each flag, or the real implementation's default converted with
 * the mean service time (ASSUMED_SERVICE_MEAN_SECONDS when --service-mean is absent, since
 * these are wall-clock timers in the real proxies).
 */
function policyParams(raw: RawOptions, serviceMeanSeconds: number | null): PolicyParams {
  const d = policyParamsFor(serviceMeanSeconds ?? ASSUMED_SERVICE_MEAN_SECONDS);
  const t = (flag: string, fallback: number): number => (raw[flag] === undefined ? fallback : timeOr(raw, flag, serviceMeanSeconds, 0));
  return {
    peakEwma: { decay: t("ewma-decay", d.peakEwma.decay), defaultRtt: t("ewma-default-rtt", d.peakEwma.defaultRtt) },
    orca: {
      weightUpdatePeriod: t("orca-update-period", d.orca.weightUpdatePeriod),
      blackoutPeriod: t("orca-blackout", d.orca.blackoutPeriod),
      weightExpirationPeriod: d.orca.weightExpirationPeriod,
      errorUtilizationPenalty: number(raw, "orca-error-penalty", d.orca.errorUtilizationPenalty, 0),
    },
    prequal: {
      probeRate: number(raw, "prequal-probes", d.prequal.probeRate, 0),
      poolSize: integer(raw, "prequal-pool", d.prequal.poolSize),
      reuseBudget: integer(raw, "prequal-reuse", d.prequal.reuseBudget),
      maxAge: t("prequal-max-age", d.prequal.maxAge),
      hotQuantile: probability(raw, "prequal-hot-quantile", d.prequal.hotQuantile),
    },
  };
}

/** --outlier-detection on|off with Envoy's defaults, each overridable by its own flag. */
function outlierDetection(raw: RawOptions, serviceMeanSeconds: number | null): OutlierDetection | null {
  const on = raw["outlier-detection"]?.trim();
  if (on === undefined || on === "off") return null;
  if (on !== "on") throw new OptionError("outlier-detection", `unknown value "${raw["outlier-detection"]}"`, "use on (Envoy's defaults, tuned by --consecutive-errors, --base-ejection-time, --max-ejection-time, --max-ejection-percent) or off");
  const seconds = (s: number): number => s / (serviceMeanSeconds ?? ASSUMED_SERVICE_MEAN_SECONDS);
  const d = OUTLIER_DEFAULTS_SECONDS;
  const t = (flag: string, fallbackSeconds: number): number => (raw[flag] === undefined ? seconds(fallbackSeconds) : timeOr(raw, flag, serviceMeanSeconds, 0));
  return {
    consecutiveErrors: integer(raw, "consecutive-errors", d.consecutiveErrors),
    baseEjectionTime: t("base-ejection-time", d.baseEjectionTime),
    maxEjectionTime: t("max-ejection-time", d.maxEjectionTime),
    maxEjectionPercent: number(raw, "max-ejection-percent", d.maxEjectionPercent, 0),
  };
}

function number(raw: RawOptions, flag: string, fallback: number, min: number): number {
  const text = raw[flag];
  if (text === undefined) return fallback;
  const v = Number(text.trim());
  if (!(v >= min) || !Number.isFinite(v)) throw new OptionError(flag, `expected a number >= ${min}, got "${text}"`, `e.g. --${flag} ${Math.max(min, 1) * 2}`);
  return v;
}

function probability(raw: RawOptions, flag: string, fallback: number): number {
  const text = raw[flag];
  if (text === undefined) return fallback;
  const v = Number(text.trim());
  if (!(v >= 0 && v <= 1)) throw new OptionError(flag, `expected a fraction in [0, 1], got "${text}"`, `e.g. --${flag} 0.5`);
  return v;
}

/**
 * A time flag: a number in mean service times, or a duration with a unit. Its default is in
 * seconds, converted with --service-mean (or the assumed 20 ms, as for the policies' timers).
 */
function timeOr(raw: RawOptions, flag: string, serviceMeanSeconds: number | null, fallbackSeconds: number): number {
  if (raw[flag] === undefined) return fallbackSeconds / (serviceMeanSeconds ?? ASSUMED_SERVICE_MEAN_SECONDS);
  const text = raw[flag];
  const t = parseTime(text);
  if (t === undefined) throw new OptionError(flag, `expected a time such as 0.05 (mean service times) or 1ms, got "${text}"`, `e.g. --${flag} 0.05`);
  if (t.kind === "relative") return t.value;
  return t.value / (serviceMeanSeconds ?? ASSUMED_SERVICE_MEAN_SECONDS);
}

function integer(raw: RawOptions, flag: string, fallback: number, min = 1): number {
  const text = raw[flag];
  if (text === undefined) return fallback;
  // Accepts 1000000, 1e6 and 1_000_000, since request counts are long numbers.
  const v = Number(text.trim().replace(/_/g, ""));
  if (!Number.isInteger(v) || v < min) throw new OptionError(flag, `expected a whole number >= ${min}, got "${text}"`, `e.g. --${flag} ${Math.max(min, 1) * 10}`);
  return v;
}

function load(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONFIG.load;
  const v = Number(text.trim());
  if (!(v > 0 && v < 1)) {
    throw new OptionError("load", `expected a utilisation above 0 and below 1, got "${text}"`, "at 1 or more the queues grow without bound; e.g. --load 0.8");
  }
  return v;
}

function fraction(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONFIG.warmupFraction;
  const v = Number(text.trim());
  if (!(v >= 0 && v < 1)) throw new OptionError("warmup", `expected a fraction in [0, 1), got "${text}"`, "e.g. --warmup 0.05");
  return v;
}

function oneOf<T extends string>(raw: RawOptions, flag: string, allowed: readonly T[], fallback: T): T {
  const text = raw[flag]?.trim();
  if (text === undefined) return fallback;
  const found = allowed.find((a) => a === text);
  if (found === undefined) throw new OptionError(flag, `unknown value "${text}"`, `use one of ${allowed.join(", ")}`);
  return found;
}

function draws(text: string | undefined): Draws {
  const t = text?.trim();
  if (t === undefined || t === "with") return "with-replacement";
  if (t === "without") return "without-replacement";
  throw new OptionError("draws", `unknown value "${text}"`, "use with (independent draws, as Envoy and HAProxy do) or without (distinct replicas)");
}

function parseServiceMean(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = parseTime(text);
  if (t?.kind !== "seconds" || !(t.value > 0)) {
    throw new OptionError("service-mean", `expected a positive duration with a unit, got "${text}"`, "e.g. --service-mean 20ms");
  }
  return t.value;
}

function time(raw: RawOptions, flag: string, serviceMeanSeconds: number | null): number {
  const text = raw[flag];
  if (text === undefined) return 0;
  const t = parseTime(text);
  if (t === undefined) throw new OptionError(flag, `expected a time such as 0.05 (mean service times) or 1ms, got "${text}"`, `e.g. --${flag} 0.05`);
  if (t.kind === "relative") return t.value;
  if (serviceMeanSeconds === null) {
    throw new OptionError(flag, `"${text}" has a unit but the mean service time has none`, "also give --service-mean, e.g. --service-mean 20ms, or drop the unit");
  }
  return t.value / serviceMeanSeconds;
}

function service(text: string | undefined, files: FileNumbers): ServiceSpec {
  const t = text?.trim();
  if (t === undefined || t === "exp") return { kind: "exp" };
  if (t === "det") return { kind: "det" };
  if (t.startsWith("file:")) return { kind: "empirical", samples: fileNumbers("service", t.slice(5), files) };
  const m = /^lognormal(?::(.+))?$/.exec(t);
  if (m) {
    const cv = m[1] === undefined ? 1 : Number(m[1]);
    if (!(cv >= 0) || !Number.isFinite(cv)) throw new OptionError("service", `lognormal cv must be a number >= 0, got "${m[1]}"`, "e.g. --service lognormal:1.5");
    return { kind: "lognormal", cv };
  }
  throw new OptionError("service", `unknown distribution "${t}"`, "use exp, det, lognormal[:cv] or file:PATH");
}

function arrivals(text: string | undefined, files: FileNumbers): ArrivalSpec {
  const t = text?.trim();
  if (t === undefined || t === "poisson") return { kind: "poisson" };
  return { kind: "trace", times: fileNumbers("arrivals", t, files) };
}

function fileNumbers(flag: string, path: string, files: FileNumbers): readonly number[] {
  const numbers = files.get(path);
  if (numbers === undefined) throw new OptionError(flag, `file "${path}" was not read`, "check the path");
  return numbers;
}

/** Parses `key=v1,v2,...` for --sweep. */
export function parseSweep(text: string): { key: SweepKey; values: string[] } {
  const eq = text.indexOf("=");
  const key = SWEEP_KEYS.find((k) => k === text.slice(0, eq).trim());
  if (eq < 0 || key === undefined) throw new OptionError("sweep", `expected key=v1,v2,... with key one of ${SWEEP_KEYS.join(", ")}; got "${text}"`, "e.g. --sweep callers=10,30,100");
  const values = text.slice(eq + 1).split(",").map((v) => v.trim()).filter((v) => v !== "");
  if (values.length === 0) throw new OptionError("sweep", `no values for ${key}`, `e.g. --sweep ${key}=1,2`);
  return { key, values };
}
