/**
 * Every child process the testbed starts (HAProxy, the backend process) is registered here, so that
 * one call stops them all: at the end of a run, on error, and on SIGINT/SIGTERM or process exit.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setPriority } from "node:os";

const running = new Set<ChildProcess>();
let hooksInstalled = false;

/** Registers `child` to be killed by {@link stopAllChildren} and by the exit/signal hooks. */
export function track(child: ChildProcess): ChildProcess {
  installHooks();
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/**
 * Scheduling priority for the testbed's processes (nice -10). The machine is shared (builds, other
 * test suites); without it a timer or a packet waits for a CPU for milliseconds, which shows up as
 * latency the balancers did not cause. Our processes need well under one core, so the cost to the
 * other work is small.
 */
export const TESTBED_NICE = -10;

/** Raises `pid` (default: this process) to {@link TESTBED_NICE}; returns false where that is not allowed (not root). */
export function raisePriority(pid = 0): boolean {
  try {
    setPriority(pid, TESTBED_NICE);
    return true;
  } catch {
    return false;
  }
}

/** Stops one child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves when it is gone. */
export async function stopChild(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every registered child. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

function killAllNow(): void {
  for (const child of running) child.kill("SIGKILL");
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(130);
    });
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where /proc is missing. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readProcStat(pid);
    // Fields after the command name (which may contain spaces, hence the last ')'): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

function readProcStat(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, "utf8");
}
