import { spawnSync } from "node:child_process";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { adminKubeconfigPath } from "../support/cluster.js";

export const repoRoot = path.resolve(import.meta.dirname, "../../..");

/** What a finished kubectl printed. Never throws on a non-zero exit: tests assert on it. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl as the local control plane's admin, from the repository root. */
export function kubectl(args: string[], input?: string): KubectlResult {
  const result = spawnSync("kubectl", ["--kubeconfig", adminKubeconfigPath, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    input: input ?? "",
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The text of an API error (status message with the field paths), for assertions. */
export function apiErrorText(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body: unknown = err.body;
    return typeof body === "string" ? body : JSON.stringify(body);
  }
  return err instanceof Error ? err.message : String(err);
}

/** Resolves with the API error text, or throws when `promise` succeeds. */
export async function rejection(promise: Promise<unknown>): Promise<{ code: number | undefined; text: string }> {
  try {
    await promise;
  } catch (err) {
    return { code: err instanceof k8s.ApiException ? err.code : undefined, text: apiErrorText(err) };
  }
  throw new Error("expected the API server to reject the request");
}

/** Installs (or updates) the CRD from kubernetes/crd.yaml and waits until it is Established. */
export function installCrd(): void {
  const applied = kubectl(["apply", "--server-side", "--force-conflicts", "-f", "kubernetes/crd.yaml"]);
  if (applied.code !== 0) throw new Error(`installing the CRD failed: ${applied.stderr}`);
  const waited = kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/proxyservices.msvcbench.io"]);
  if (waited.code !== 0) throw new Error(`the CRD did not become Established: ${waited.stderr}`);
}
