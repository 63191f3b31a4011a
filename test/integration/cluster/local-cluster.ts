import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";

/** The repository root. */
export const repoRoot = path.resolve(import.meta.dirname, "../../..");

/** The shared local control plane's state directory (what `hack/local-cluster.sh` uses by default). */
export const sharedStateDir = process.env.LOCAL_CLUSTER_STATE_DIR ?? path.join(repoRoot, ".local-cluster");

/** The directory of the shared cluster's binary, which private clusters reuse. */
const sharedBinDir = process.env.LOCAL_CLUSTER_BIN_DIR ?? path.join(sharedStateDir, "bin");

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
export function run(
  command: string,
  args: string[],
  { input = "", env = {} }: { input?: string; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs `hack/local-cluster.sh <args>` against the shared cluster. */
export function localCluster(...args: string[]): Promise<CommandResult> {
  return run(path.join(repoRoot, "hack/local-cluster.sh"), args);
}

/** The component names, in start order. */
export const componentNames = ["etcd", "apiserver", "controller-manager", "scheduler", "kubelet-sim", "istiod"] as const;

/**
 * A control plane of its own, in a temporary state directory, for the tests that restart or tear
 * down a cluster: others may be using the shared one at the same time (several engineers' test runs
 * share a work tree). It reuses the shared cluster's binary, so it costs a start, not a build.
 */
export class PrivateCluster {
  readonly stateDir = mkdtempSync(path.join(os.tmpdir(), "local-cluster-test-"));

  /** Runs `hack/local-cluster.sh <args>` against this cluster. */
  run(...args: string[]): Promise<CommandResult> {
    return run(path.join(repoRoot, "hack/local-cluster.sh"), args, {
      env: { LOCAL_CLUSTER_STATE_DIR: this.stateDir, LOCAL_CLUSTER_BIN_DIR: sharedBinDir },
    });
  }

  /**
   * Starts the cluster; throws with `up`'s output and the end of every component's log if it fails. `up`'s
   * own limit (100 s) stays under a test hook's 300 s, so a start that never gets ready is reported by `up`
   * itself, naming what it waited for, instead of as a bare hook timeout. (Until 2026-12-03 this retried a
   * component "found dead right after its start, with nothing in its log but the start line": that was a
   * live child read in the middle of its exec, fixed in hack/local-cluster's startComponent.)
   */
  async up(...flags: string[]): Promise<CommandResult> {
    // flags: `up`'s settings of a new cluster, e.g. "-crash-loop-backoff", "1s" (docs/local-cluster.md).
    const up = await this.run("up", "-timeout", "100s", ...flags);
    if (up.code === 0) return up;
    throw new Error(`up failed (${up.code}):\n${up.stderr}\n${this.logTails()}`);
  }

  /** The last lines of every component's log, for a failure message (the state is removed afterwards). */
  logTails(lines = 15): string {
    return componentNames
      .map((name) => {
        let log: string;
        try {
          log = readFileSync(path.join(this.stateDir, `${name}.log`), "utf8");
        } catch {
          return `--- ${name}.log: none`;
        }
        return `--- ${name}.log, last ${lines} lines:\n${log.trimEnd().split("\n").slice(-lines).join("\n")}`;
      })
      .join("\n");
  }

  /** A KubeConfig for this cluster's admin. */
  kubeConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(path.join(this.stateDir, "kubeconfig"));
    return kc;
  }

  /** The ports recorded in cluster.json. */
  ports(): Record<string, number> {
    const state = JSON.parse(readFileSync(path.join(this.stateDir, "cluster.json"), "utf8")) as {
      ports: Record<string, number>;
    };
    return state.ports;
  }

  /** The recorded pid of each component. */
  pids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const name of componentNames) {
      pids[name] = Number(readFileSync(path.join(this.stateDir, `${name}.pid`), "utf8").trim());
    }
    return pids;
  }

  /** Stops the cluster and removes its state directory. */
  async destroy(): Promise<void> {
    await this.run("down");
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * Whether a process with this pid exists and is not a finished zombie (an exiting process's main
 * thread can be a zombie while its other threads still hold its sockets).
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return (state !== "Z" && state !== "X") || readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** The HTTP status of an API error from @kubernetes/client-node, or undefined for other errors. */
export function statusCode(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "number" ? err.code : undefined;
}
