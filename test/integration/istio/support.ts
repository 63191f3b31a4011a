import { spawn, execFile } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { promisify } from "node:util";
import { admin, apply, mergePatch, readYaml, repoRoot, waitReady } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";

// Helpers for the tests that judge our configuration with the real istiod of the local cluster
// (issue 9): injection-enabled namespaces, a sidecar-injected caller, and the `xds` and `trace`
// commands of hack/istio, run through hack/local-cluster.sh (which honours LOCAL_CLUSTER_STATE_DIR).

const script = path.join(repoRoot, "hack/local-cluster.sh");
const execFileAsync = promisify(execFile);
// The environment of the script: the shared cluster, or a private one (useIstioCluster).
let scriptEnv: NodeJS.ProcessEnv = process.env;
const run = (file: string, args: string[], options: { cwd: string; maxBuffer: number }) => execFileAsync(file, args, { ...options, env: scriptEnv });

/** Points xds, trace and watchEds at a private cluster (pair it with useCluster of ../operator/support). */
export function useIstioCluster(stateDir: string, binDir: string): void {
  scriptEnv = { ...process.env, LOCAL_CLUSTER_STATE_DIR: stateDir, LOCAL_CLUSTER_BIN_DIR: binDir };
}

/** One proxy's handling of the traced request (hack/istio/trace.go). */
export interface Hop {
  proxy: string;
  nodeType: string;
  listener: string;
  filterChain: { name: string; tls: boolean; requireClientCertificate: boolean; transportProtocol?: string } | null;
  route?: string;
  virtualHost?: string;
  cluster: string;
  lb: { policy: string; choiceCount?: number; locality: string; priorities: number[]; slowStart?: { slowStartWindow?: string }; loadBalancingPolicy?: unknown };
  tls: { mode: string; sni?: string };
  endpoints: { address: string; health: string; pod?: string; tls: string; next: number; accept?: { tls: boolean } | null }[];
}

export interface Trace {
  from: string;
  to: string;
  hops: Hop[];
  final: string[];
  error?: string;
}

/** Follows one request from a pod to host:port through what istiod sends. */
export async function trace(from: string, to: string): Promise<Trace> {
  const { stdout } = await run(script, ["trace", "-from", from, "-to", to], { cwd: repoRoot, maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as Trace;
}

/** What istiod sends to the pod: {listeners, routes, clusters, endpoints} in protojson. */
export async function xds(pod: string): Promise<Record<"listeners" | "routes" | "clusters" | "endpoints", Record<string, unknown>[]>> {
  const { stdout } = await run(script, ["xds", pod], { cwd: repoRoot, maxBuffer: 256 << 20 });
  return JSON.parse(stdout) as Record<"listeners" | "routes" | "clusters" | "endpoints", Record<string, unknown>[]>;
}

/** One EDS update of a watched cluster, as the proxy received it. */
export interface EdsUpdate {
  at: number; // ms since the epoch, when it was received
  endpoints: { address: string; health: string }[];
}

/**
 * Watches the EDS of one cluster as a pod's proxy receives it (an xDS stream connected as that pod),
 * keeping every update. `stop` ends the stream.
 */
export async function watchEds(pod: string, cluster: string): Promise<{ updates: EdsUpdate[]; stop: () => Promise<void> }> {
  const child = spawn(script, ["xds", "-watch-eds", cluster, "-duration", "10m", pod], { cwd: repoRoot, env: scriptEnv, stdio: ["pipe", "pipe", "pipe"] });
  const updates: EdsUpdate[] = [];
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const u = JSON.parse(line) as { time: string; endpoints: EdsUpdate["endpoints"] };
    updates.push({ at: Date.parse(u.time), endpoints: u.endpoints });
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  // The first update is the current state: the watch is live from then on.
  await waitFor(() => updates.length > 0 || child.exitCode !== null, { timeout: 30_000, description: `EDS of ${cluster} for ${pod}` });
  if (updates.length === 0) throw new Error(`xds -watch-eds ${cluster} ${pod} exited: ${stderr}`);
  return {
    updates,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** The longest stretch between `from` and `until` during which a caller had no healthy endpoint in the watched cluster. */
export function longestWithoutHealthy(updates: readonly EdsUpdate[], from: number, until: number): number {
  const before = updates.filter((u) => u.at < from).at(-1);
  const seq = [...(before ? [{ ...before, at: from }] : []), ...updates.filter((u) => u.at >= from && u.at <= until)];
  let longest = 0;
  seq.forEach((u, i) => {
    if (healthy(u).length === 0) longest = Math.max(longest, (seq[i + 1]?.at ?? until) - u.at);
  });
  return longest;
}

export const healthy = (u: EdsUpdate): string[] => u.endpoints.filter((e) => e.health === "HEALTHY").map((e) => e.address).sort();

/** Labels a namespace for Istio's sidecar injection (`istio-injection=enabled`). */
export async function enableInjection(namespace: string): Promise<void> {
  await mergePatch("v1", "Namespace", "", namespace, { metadata: { labels: { "istio-injection": "enabled" } } });
}

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: { name: string; image: string; args?: string[]; ports?: { name?: string; containerPort: number }[] }[]; initContainers?: { name: string; image: string; args?: string[]; restartPolicy?: string }[] };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

export const isReadyPod = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** The pods matching a selector. */
export async function pods(namespace: string, labelSelector: string): Promise<Pod[]> {
  return (await admin.request<{ items: Pod[] }>("GET", `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector } })).items;
}

/** A plain client pod `caller` in the namespace (injected by the webhook), once Ready; returns "ns/caller". */
export async function createCaller(namespace: string, name = "caller"): Promise<string> {
  await admin.request("POST", `/api/v1/namespaces/${namespace}/pods`, {
    body: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: { app: name } },
      spec: { containers: [{ name: "curl", image: "curlimages/curl:8.10.1", command: ["sleep", "infinity"] }] },
    },
  });
  await waitFor(async () => {
    const [p] = (await pods(namespace, `app=${name}`)).filter((x) => x.metadata.name === name);
    return p && isReadyPod(p) ? p : undefined;
  }, { timeout: 60_000, description: `pod ${namespace}/${name} Ready` });
  return `${namespace}/${name}`;
}

/** The pod's istio-proxy container (a sidecar is an init container with restartPolicy Always). */
export function istioProxy(p: Pod): { name: string; image: string; args?: string[] } | undefined {
  return [...p.spec.containers, ...(p.spec.initContainers ?? [])].find((c) => c.name === "istio-proxy");
}

/** ip:port of each Ready pod for a named or numbered container port. */
export function podAddresses(list: Pod[], targetPort: string | number): string[] {
  return list
    .filter(isReadyPod)
    .map((p) => {
      const port = typeof targetPort === "number"
        ? targetPort
        : p.spec.containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === targetPort)?.containerPort;
      return `${p.status?.podIP}:${port}`;
    })
    .sort();
}

/** One finding of `istioctl analyze` (its JSON output). */
export interface AnalyzerMessage {
  code: string;
  level: string;
  origin?: string;
  documentationUrl?: string;
}

/** `istioctl analyze -n NAMESPACE -o json` with the cluster's own istioctl. */
export async function analyze(namespace: string): Promise<AnalyzerMessage[]> {
  const { stdout } = await run(script, ["istioctl", "analyze", "-n", namespace, "-o", "json"], { cwd: repoRoot, maxBuffer: 16 << 20 }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? "[]" }), // analyze exits non-zero when it finds something
  );
  return JSON.parse(stdout) as AnalyzerMessage[];
}

/**
 * The published example in an injection-enabled namespace, with a sidecar caller: the sample app's 10 pods
 * Ready, then example/proxy-service-example.yaml Ready. Returns the caller as `namespace/pod`.
 */
export async function setUpPublishedExample(namespace: string): Promise<string> {
  await enableInjection(namespace);
  for (const obj of readYaml("example/sample-app.yaml")) await apply(obj, namespace);
  const caller = await createCaller(namespace);
  await waitFor(async () => (await pods(namespace, "app=s0")).filter(isReadyPod).length === 10, { timeout: 90_000, description: "10 Ready s0 pods" });
  for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, namespace);
  await waitReady(namespace, "ps-s0", 90_000);
  return caller;
}

/** The trace from `caller` to `to` once istiod's pushes route it through the proxies and `accept` holds. */
export function traceThroughProxies(caller: string, to: string, accept: (t: Trace) => boolean, description: string): Promise<Trace> {
  return waitFor(async () => {
    const t = await trace(caller, to);
    return !t.error && t.hops.length > 1 && t.hops[0]!.endpoints.every((e) => e.next > 0) && accept(t) ? t : undefined;
  }, { timeout: 60_000, description });
}
