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
 * How the testbed's processes are scheduled. The machine is shared (builds, other test suites) and
 * the kernel groups processes per session (autogroup), so a nice value alone does not keep a busy
 * neighbour from delaying our timers by tens of milliseconds; that delay would show up as latency the
 * balancers did not cause, and would stretch the timer-based service times. So the testbed asks for
 * SCHED_FIFO priority 10 (`chrt`), falling back to nice -10, then to nothing. Our processes need well
 * under one core in all (the CPU columns show it), every run is bounded in time, and the kernel's RT
 * throttling keeps 5 % of each CPU for everything else.
 */
export type Priority = "realtime" | "nice" | "normal";

const RT_PRIORITY = "10";
const NICE = -10;

/** Raises `pid` (and all its threads) as far as allowed; returns what it got. */
export function raisePriority(pid: number = process.pid, realtime = true): Priority {
  if (realtime) {
    try {
      execFileSync("chrt", ["-a", "-f", "-p", RT_PRIORITY, String(pid)], { stdio: "ignore" });
      return "realtime";
    } catch {
      // no chrt, or no CAP_SYS_NICE: try nice
    }
  }
  try {
    setPriority(pid, NICE);
    return "nice";
  } catch {
    return "normal";
  }
}

/** Returns `pid` (and all its threads) to normal scheduling, e.g. this process at the end of a sweep. */
export function restorePriority(pid: number = process.pid): void {
  try {
    execFileSync("chrt", ["-a", "-o", "-p", "0", String(pid)], { stdio: "ignore" });
  } catch {
    // not raised, or not allowed: nothing to undo
  }
  try {
    setPriority(pid, 0);
  } catch {
    // lowering back to 0 needs no privilege when it was raised by us; ignore otherwise
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
