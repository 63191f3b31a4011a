import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

/** The repository root. */
export const repoRoot = path.resolve(import.meta.dirname, "../../..");

/** The local control plane's state directory (what `hack/local-cluster.sh` uses by default). */
export const stateDir = process.env.LOCAL_CLUSTER_STATE_DIR ?? path.join(repoRoot, ".local-cluster");

/** What a finished command printed, and its exit code. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the event loop (watches stay served while, for
 * example, the API server restarts). Never throws for a non-zero exit code: callers assert on it.
 */
export function run(command: string, args: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** Runs `hack/local-cluster.sh <args>`. */
export function localCluster(...args: string[]): Promise<CommandResult> {
  return run(path.join(repoRoot, "hack/local-cluster.sh"), args);
}

/** The ports recorded in the state directory's cluster.json. */
export function recordedPorts(): Record<string, number> {
  const state = JSON.parse(readFileSync(path.join(stateDir, "cluster.json"), "utf8")) as { ports: Record<string, number> };
  return state.ports;
}

/** The component names, in start order. */
export const componentNames = ["etcd", "apiserver", "controller-manager", "scheduler", "kubelet-sim"] as const;

/** The recorded pid of each component. */
export function recordedPids(): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const name of componentNames) {
    pids[name] = Number(readFileSync(path.join(stateDir, `${name}.pid`), "utf8").trim());
  }
  return pids;
}

/** Whether a process with this pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The HTTP status of an API error from @kubernetes/client-node, or undefined for other errors. */
export function statusCode(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "number" ? err.code : undefined;
}
