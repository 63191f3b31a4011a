/** Runs a sweep: every scenario of every group, one after another, each with fresh processes. */
import { cpus, loadavg, totalmem } from "node:os";
import { type Priority, raisePriority, restorePriority, stopAllChildren } from "./children.js";
import { ensureHaproxy } from "./haproxy.js";
import type { GroupResult } from "./report.js";
import { runScenario, type Scenario, type ScenarioResult } from "./scenario.js";
import type { Group } from "./sweeps.js";

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  haproxy: string;
  platform: string;
  /** 1-minute load average when the sweep started: other work on the machine shows here. */
  loadAverageAtStart: number;
  /** How the testbed's processes were scheduled (see children.ts). */
  priority: Priority;
}

export interface SweepOutput {
  sweep: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  groups: GroupResult[];
}

/**
 * Runs `groups` in order, logging one line per scenario. Installs HAProxy first if missing, raises
 * this process's scheduling priority for the run (children inherit it) and restores it at the end.
 * Every child process is stopped before this returns or throws.
 */
export interface SweepOptions {
  log?: (line: string) => void;
  /** Raise the scheduling priority (default true; see children.ts). */
  raisePriority?: boolean;
  /** Results of an earlier, interrupted run of the same sweep: scenarios found here are not run again. */
  previous?: readonly ScenarioResult[];
  /** Called after every scenario with everything so far, e.g. to save a partial file. */
  onProgress?: (partial: SweepOutput) => Promise<void>;
  /**
   * Run a configuration again (at most twice more) when the machine visibly disturbed it: the load
   * generator's p99 send lag above this many ms, or the replicas' measured service time more than
   * 5 % above the drawn mean. The least disturbed attempt is kept and the count recorded. Off when unset.
   */
  retryDisturbedMs?: number;
}

/** Why a run looks disturbed by other work on the machine, or undefined when it does not. */
export function disturbance(r: ScenarioResult, lagLimitMs: number): string | undefined {
  if (r.sendLagP99Ms > lagLimitMs) return `p99 send lag ${r.sendLagP99Ms.toFixed(1)} ms > ${lagLimitMs} ms`;
  if (r.serviceMeanMs > 1.05 * r.scenario.meanMs) return `service time ${r.serviceMeanMs.toFixed(2)} ms > 1.05 x ${r.scenario.meanMs} ms`;
  return undefined;
}

async function runUndisturbed(s: Scenario, log: (line: string) => void, lagLimitMs: number | undefined): Promise<ScenarioResult> {
  let best = await runWithRetry(s, log);
  if (lagLimitMs === undefined) return best;
  for (let attempt = 2; attempt <= 3; attempt++) {
    const why = disturbance(best, lagLimitMs);
    if (why === undefined) break;
    log(`disturbed (${why}): running it again, attempt ${attempt}`);
    const next = await runWithRetry(s, log);
    const score = (r: ScenarioResult): number => r.sendLagP99Ms / lagLimitMs + Math.max(0, r.serviceMeanMs / r.scenario.meanMs - 1) * 20;
    best = { ...(score(next) < score(best) ? next : best), attempts: attempt };
  }
  return best;
}

/** Scenarios are the same when all their parameters are. */
function sameScenario(a: Scenario, b: Scenario): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

/**
 * Runs one scenario, retrying twice after a pause when a process fails to start (a concurrent
 * `npm ci` briefly removes tsx, for instance). Failures during the load itself are not retried.
 */
async function runWithRetry(s: Scenario, log: (line: string) => void): Promise<ScenarioResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runScenario(s);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (attempt >= 3 || !/did not start|before it was ready|did not listen|exited with code/.test(message)) throw err;
      log(`retrying after a failed start (${message})`);
      await stopAllChildren();
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  }
}

export async function runSweep(sweep: string, groups: readonly Group[], options: SweepOptions = {}): Promise<SweepOutput> {
  const log = options.log ?? (() => {});
  const startedAt = new Date().toISOString();
  const haproxy = ensureHaproxy(log);
  const priority = options.raisePriority === false ? "normal" : raisePriority();
  const machine: Machine = {
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    haproxy,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg()[0] ?? 0,
    priority,
  };
  const out: GroupResult[] = [];
  try {
    for (const g of groups) {
      const results = [];
      for (const s of g.scenarios) {
        const earlier = options.previous?.find((p) => sameScenario(p.scenario, s));
        const r = earlier ?? (await runUndisturbed(s, log, options.retryDisturbedMs));
        log(
          `${g.name.padEnd(8)} ${r.label.padEnd(28)} C=${s.callers} R=${s.replicas} K=${s.proxies} rho=${s.rho} ` +
            `req/s=${r.throughput.toFixed(0)} mean=${r.meanMs.toFixed(1)} p95=${r.p95Ms.toFixed(1)} p99=${r.p99Ms.toFixed(1)} errors=${r.errors} failed=${(100 * r.failedFraction).toFixed(2)}%`,
        );
        results.push(r);
        const partial = [...out, { group: { name: g.name, title: g.title, axis: g.axis }, results }];
        await options.onProgress?.({ sweep, startedAt, finishedAt: new Date().toISOString(), machine, groups: partial });
      }
      out.push({ group: { name: g.name, title: g.title, axis: g.axis }, results });
    }
  } finally {
    await stopAllChildren();
    restorePriority();
  }
  return { sweep, startedAt, finishedAt: new Date().toISOString(), machine, groups: out };
}
