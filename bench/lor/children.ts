/**
 * Every child process the testbed starts (HAProxy, the backend process) is registered here, so that
 * one call stops them all: at the end of a run, on error, and on SIGINT/SIGTERM or process exit.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { setPriority } from "node:os";

const running = new Set<ChildProcess>();
const scratchDirs = new Set<string>();
let hooksInstalled = false;

/** Registers `child` to be killed by {@link stopAllChildren} and by the exit/signal hooks. */
export function track(child: ChildProcess): ChildProcess {
  installHooks();
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/**
 * How the testbed's processes are scheduled. The machine is shared (builds, other test suites), and
 * the kernel schedules per session first (autogroup): a nice value alone only ranks processes within
 * their own session, so a busy neighbour session still delays our timers by tens of milliseconds; that
 * delay would show up as latency the balancers did not cause, and stretch the timer-based service
 * times. So the runner sets nice -10 on itself and on its session's autogroup
 * (`/proc/self/autogroup`); children inherit both. Both need root; without it the run is `normal`.
 * SCHED_FIFO (chrt) was tried and dropped: Node's threads spin-wait on each other, and under FIFO one
 * run stalled for minutes until RT throttling let the other threads in.
 */
export type Priority = "nice+autogroup" | "nice" | "normal";

const NICE = -10;
const AUTOGROUP = "/proc/self/autogroup";

/** Raises this process and its session's autogroup to nice -10 as far as allowed; returns what it got. */
export function raisePriority(): Priority {
  try {
    setPriority(0, NICE);
  } catch {
    return "normal";
  }
  try {
    writeFileSync(AUTOGROUP, String(NICE));
    return "nice+autogroup";
  } catch {
    return "nice";
  }
}

/** Returns this process and its autogroup to nice 0 (at the end of a sweep). */
export function restorePriority(): void {
  try {
    writeFileSync(AUTOGROUP, "0");
  } catch {
    // not raised, or no autogroup: nothing to undo
  }
  try {
    setPriority(0, 0);
  } catch {
    // lowering back to 0 needs no privilege when we raised it; ignore otherwise
  }
}

/** Registers a scratch directory to be removed if the process exits before its owner removes it. */
export function trackDir(dir: string): () => void {
  installHooks();
  scratchDirs.add(dir);
  return () => scratchDirs.delete(dir);
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
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
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
