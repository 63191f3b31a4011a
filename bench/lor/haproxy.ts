/** Installs (when missing), starts and stops HAProxy for one testbed run. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopChild, track, trackDir } from "./children.js";
import { type HaproxyLayout, renderHaproxyConfig } from "./haproxy-config.js";

/**
 * Returns HAProxy's version line, installing Debian's `haproxy` package first when no `haproxy` is
 * on PATH (CI starts from a fresh machine). Throws if it cannot be installed.
 */
export function ensureHaproxy(log: (line: string) => void = () => {}): string {
  if (!hasHaproxy()) {
    log("haproxy not found on PATH: installing Debian's haproxy package (apt-get install -y haproxy)");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    try {
      execFileSync("apt-get", ["install", "-y", "haproxy"], { stdio: "ignore", env });
    } catch {
      // A fresh machine may have empty package lists.
      try {
        execFileSync("apt-get", ["update"], { stdio: "ignore", env });
        execFileSync("apt-get", ["install", "-y", "haproxy"], { stdio: "ignore", env });
      } catch (err) {
        throw new Error("Testbed Error: haproxy is not on PATH and `apt-get install -y haproxy` failed (it needs root and Debian's package lists)", { cause: err });
      }
    }
  }
  return haproxyVersion();
}

function hasHaproxy(): boolean {
  try {
    haproxyVersion();
    return true;
  } catch {
    return false;
  }
}

function haproxyVersion(): string {
  const out = execFileSync("haproxy", ["-v"], { encoding: "utf8" });
  return out.split("\n")[0]?.trim() ?? "haproxy (unknown version)";
}

/** A running HAProxy; `stop` kills it and removes its configuration directory. */
export interface RunningHaproxy {
  pid: number;
  config: string;
  stop(): Promise<void>;
}

/** Starts HAProxy in the foreground on `layout` and resolves once every frontend accepts connections. */
export async function startHaproxy(layout: HaproxyLayout): Promise<RunningHaproxy> {
  const dir = await mkdtemp(join(tmpdir(), "lor-haproxy-"));
  const untrackDir = trackDir(dir);
  const config = renderHaproxyConfig(layout);
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, config);
  // -db: stay in the foreground, so that the child's pid is HAProxy's own (for CPU accounting and kill).
  const child: ChildProcess = track(spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "ignore", "pipe"] }));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    untrackDir();
  };
  try {
    const deadline = Date.now() + 10_000;
    for (const section of layout.sections) {
      while (!(await isAccepting(section.port))) {
        if (child.exitCode !== null) throw new Error(`haproxy exited with code ${child.exitCode}: ${stderr.trim()}`);
        if (Date.now() > deadline) throw new Error(`haproxy did not listen on 127.0.0.1:${section.port} within 10 s: ${stderr.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  if (child.pid === undefined) throw new Error("haproxy started without a pid");
  return { pid: child.pid, config, stop };
}

function isAccepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
