import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { admin, apply, currentAdminKubeConfig, repoRoot } from "../operator/support.js";

const run = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a repository script (hack/helm.sh, hack/podman.sh, ...) and returns its exit code and output. */
export async function script(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(path.join(repoRoot, name), args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

/** `hack/helm.sh ARGS` against the shared cluster's admin kubeconfig. */
export const helm = (args: string[]): Promise<Result> =>
  script("hack/helm.sh", args, { KUBECONFIG: path.join(process.env.LOCAL_CLUSTER_STATE_DIR ?? path.join(repoRoot, ".local-cluster"), "kubeconfig") });

/** `hack/podman.sh ARGS` (the project's podman settings). */
export const podman = (args: string[]): Promise<Result> => script("hack/podman.sh", args);

/** Throws with the command's output unless it exited 0; returns its stdout. */
export function ok(result: Result, what: string): string {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

let imageRef: string | undefined;
/** Builds the image with hack/image.sh (cached by podman's layers) once per run; its reference. */
export function operatorImage(): string {
  imageRef ??= execFileSync(path.join(repoRoot, "hack/image.sh"), { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    .trim()
    .split("\n")
    .at(-1)!;
  return imageRef;
}

/** A token of `serviceAccount` in `namespace` from the TokenRequest API, as the kubelet mounts it. */
export async function serviceAccountToken(namespace: string, serviceAccount: string): Promise<string> {
  const res = await admin.request<{ status: { token: string } }>("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 7200 } },
  });
  return res.status.token;
}

/** The API server as a pod sees it: KUBERNETES_SERVICE_HOST/PORT and the cluster's CA. */
export function apiServer(): { host: string; port: string; ca: string } {
  const cluster = currentAdminKubeConfig().getCurrentCluster();
  if (!cluster?.caData) throw new Error("the admin kubeconfig has no cluster CA data");
  const url = new URL(cluster.server);
  return { host: url.hostname, port: url.port || "443", ca: Buffer.from(cluster.caData, "base64").toString("utf8") };
}

/**
 * A directory laid out like a pod's /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt,
 * namespace), readable by the container's user; removed by the returned cleanup.
 */
export async function serviceAccountDir(namespace: string, serviceAccount: string): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(path.join(tmpdir(), "pso-sa-"));
  writeFileSync(path.join(dir, "token"), await serviceAccountToken(namespace, serviceAccount), { mode: 0o644 });
  writeFileSync(path.join(dir, "ca.crt"), apiServer().ca, { mode: 0o644 });
  writeFileSync(path.join(dir, "namespace"), namespace, { mode: 0o644 });
  execFileSync("chmod", ["755", dir]);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A ServiceAccount in `namespace` bound to a ClusterRole (the shipped one) by a ClusterRoleBinding; cleanup deletes the binding. */
export async function boundServiceAccount(namespace: string, name: string, clusterRole: string): Promise<() => Promise<void>> {
  await apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name } }, namespace);
  const binding = `${name}-${namespace}`;
  await apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: binding },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
    subjects: [{ kind: "ServiceAccount", name, namespace }],
  });
  return async () => {
    await admin.request("DELETE", `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`).catch(() => undefined);
  };
}

export interface Lease {
  spec?: { holderIdentity?: string | null; renewTime?: string };
}
/** The Lease's holder, or "" when it is released or absent. */
export async function leaseHolder(namespace: string, name: string): Promise<string> {
  const lease = await admin.request<Lease>("GET", `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`).catch(() => undefined);
  return lease?.spec?.holderIdentity ?? "";
}
