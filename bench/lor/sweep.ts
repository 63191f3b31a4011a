/** Runs a sweep: every scenario of every group, one after another, each with fresh processes. */
import { cpus, loadavg, totalmem } from "node:os";
import { raisePriority, stopAllChildren, TESTBED_NICE } from "./children.js";
import { ensureHaproxy } from "./haproxy.js";
import type { GroupResult } from "./report.js";
import { runScenario } from "./scenario.js";
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
  /** The nice value of the testbed's processes, or null if raising their priority was not allowed. */
  nice: number | null;
}

export interface SweepOutput {
  sweep: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  groups: GroupResult[];
}

/**
 * Runs `groups` in order, logging one line per scenario. Installs HAProxy first if missing. Every
 * child process is stopped before this returns or throws.
 */
export async function runSweep(sweep: string, groups: readonly Group[], log: (line: string) => void = () => {}): Promise<SweepOutput> {
  const startedAt = new Date().toISOString();
  const haproxy = ensureHaproxy(log);
  const raised = raisePriority();
  const machine: Machine = {
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    haproxy,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg()[0] ?? 0,
    nice: raised ? TESTBED_NICE : null,
  };
  const out: GroupResult[] = [];
  try {
    for (const g of groups) {
      const results = [];
      for (const s of g.scenarios) {
        const r = await runScenario(s);
        log(
          `${g.name.padEnd(8)} ${r.label.padEnd(28)} C=${s.callers} R=${s.replicas} K=${s.proxies} rho=${s.rho} ` +
            `req/s=${r.throughput.toFixed(0)} mean=${r.meanMs.toFixed(1)} p95=${r.p95Ms.toFixed(1)} p99=${r.p99Ms.toFixed(1)} errors=${r.errors}`,
        );
        results.push(r);
      }
      out.push({ group: { name: g.name, title: g.title, axis: g.axis }, results });
    }
  } finally {
    await stopAllChildren();
  }
  return { sweep, startedAt, finishedAt: new Date().toISOString(), machine, groups: out };
}
