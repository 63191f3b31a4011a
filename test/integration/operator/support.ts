import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { ApiServerConnection } from "../../../src/kube/connection.js";
import { KubeHttp } from "../../../src/kube/http.js";
import { isNotFound } from "../../../src/kube/errors.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { adminKubeConfig } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";

export const repoRoot = path.resolve(import.meta.dirname, "../../..");
const logDir = path.join(repoRoot, ".local-cluster", "test-logs");

// Read on first use, not at import: a benchmark that brings up a cluster of its own (useCluster) must not
// need the shared one to exist.
let adminKc: k8s.KubeConfig | undefined;
const currentAdmin = (): k8s.KubeConfig => (adminKc ??= adminKubeConfig());
/** The admin's raw client: tests arrange and inspect the cluster with it, the operator never uses it. */
export let admin = new KubeHttp(connectionOf(currentAdmin));

/**
 * Points every helper here at another cluster (a PrivateCluster, for a test that restarts components and
 * must not disturb others using the shared one). Call it before the harness's hooks run.
 */
export function useCluster(kc: k8s.KubeConfig): void {
  adminKc = kc;
  admin = new KubeHttp(connectionOf(() => kc));
}

/**
 * client-node's own KubeConfig as the connection of the tests' admin client: the operator's processes load
 * their kubeconfig with src/kube/connection.ts, the tests with the library, so each checks the other.
 */
function connectionOf(kc: () => k8s.KubeConfig): ApiServerConnection {
  return {
    get server() {
      const cluster = kc().getCurrentCluster();
      if (!cluster) throw new Error("the admin kubeconfig has no current cluster");
      return new URL(cluster.server);
    },
    source: "admin kubeconfig",
    applyToHTTPSOptions: (options) => kc().applyToHTTPSOptions(options),
  };
}

export const currentAdminKubeConfig = (): k8s.KubeConfig => currentAdmin();

/** Reads every document of a YAML file in the repository. */
export function readYaml(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path.join(repoRoot, file), "utf8"))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null);
}

/** The collection path of an object's kind (only the kinds the tests touch). */
export function pathOf(apiVersion: string, plural: string, namespace?: string, name?: string): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${plural}${name ? `/${name}` : ""}`;
}

const PLURALS: Record<string, string> = {
  Service: "services",
  Deployment: "deployments",
  Pod: "pods",
  Node: "nodes",
  ServiceAccount: "serviceaccounts",
  ProxyService: "proxyservices",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  Role: "roles",
  RoleBinding: "rolebindings",
  CustomResourceDefinition: "customresourcedefinitions",
  HorizontalPodAutoscaler: "horizontalpodautoscalers",
  PodDisruptionBudget: "poddisruptionbudgets",
  Gateway: "gateways",
  VirtualService: "virtualservices",
  DestinationRule: "destinationrules",
  EnvoyFilter: "envoyfilters",
  PeerAuthentication: "peerauthentications",
  AuthorizationPolicy: "authorizationpolicies",
  ResourceQuota: "resourcequotas",
  Namespace: "namespaces",
};

/** Server-side apply as the admin (or another field manager, to play a GitOps tool). */
export async function apply(obj: KubeObject, namespace?: string, fieldManager = "integration-test", force = true): Promise<KubeObject> {
  const plural = PLURALS[obj.kind];
  if (!plural) throw new Error(`no plural for ${obj.kind}`);
  const ns = obj.kind === "ClusterRole" || obj.kind === "ClusterRoleBinding" || obj.kind === "CustomResourceDefinition" || obj.kind === "Namespace"
    ? undefined
    : (namespace ?? obj.metadata.namespace);
  return admin.request<KubeObject>("PATCH", pathOf(obj.apiVersion, plural, ns, obj.metadata.name), {
    query: { fieldManager, force },
    body: { ...obj, metadata: { ...obj.metadata, ...(ns ? { namespace: ns } : {}) } },
    contentType: "application/apply-patch+yaml",
  });
}

export async function get<T = KubeObject>(apiVersion: string, kind: string, namespace: string, name: string): Promise<T | undefined> {
  return admin.request<T>("GET", pathOf(apiVersion, PLURALS[kind]!, namespace, name)).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
}

export async function remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<void> {
  await admin.request("DELETE", pathOf(apiVersion, PLURALS[kind]!, namespace, name)).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

export async function mergePatch(apiVersion: string, kind: string, namespace: string, name: string, patch: unknown): Promise<KubeObject> {
  return admin.request<KubeObject>("PATCH", pathOf(apiVersion, PLURALS[kind]!, namespace, name), {
    body: patch,
    contentType: "application/merge-patch+json",
  });
}

export interface ProxyServiceObject extends KubeObject {
  spec: Record<string, unknown> & { serviceName: string };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }[];
    readyReplicas?: number;
    takeover?: { service: string; mode: string };
  };
}

export const getPs = (ns: string, name: string): Promise<ProxyServiceObject | undefined> =>
  get<ProxyServiceObject>("msvcbench.io/v1alpha1", "ProxyService", ns, name);

export function readyCondition(ps: ProxyServiceObject | undefined): { status: string; reason: string; message: string } | undefined {
  return ps?.status?.conditions?.find((c) => c.type === "Ready");
}

/** Ready=True for the current generation. */
export function isReady(ps: ProxyServiceObject | undefined): boolean {
  const ready = ps?.status?.conditions?.find((c) => c.type === "Ready");
  return ready?.status === "True" && ps?.status?.observedGeneration === ps?.metadata.generation;
}

export async function waitReady(ns: string, name: string, timeout = 60_000): Promise<ProxyServiceObject> {
  return waitFor(async () => {
    const ps = await getPs(ns, name);
    return isReady(ps) ? ps : undefined;
  }, { timeout, description: `ProxyService ${ns}/${name} Ready=True` });
}

export async function waitReason(ns: string, name: string, reason: string, timeout = 60_000): Promise<ProxyServiceObject> {
  return waitFor(async () => {
    const ps = await getPs(ns, name);
    return readyCondition(ps)?.reason === reason ? ps : undefined;
  }, { timeout, description: `ProxyService ${ns}/${name} Ready reason ${reason}` });
}

/** Installs the CRD and the shipped ClusterRole (idempotent), as `kubectl apply -f kubernetes/` would. */
export async function installCrdAndRole(): Promise<void> {
  for (const obj of readYaml("kubernetes/crd.yaml")) await apply(obj);
  await waitFor(async () => {
    const crd = await get<{ status?: { conditions?: { type: string; status: string }[] } }>(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      "",
      "proxyservices.msvcbench.io",
    ).catch(() => undefined);
    return crd?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  }, { description: "the CRD established" });
  for (const obj of readYaml("kubernetes/cluster-role.yaml")) await apply(obj);
}

/** The shipped ClusterRole's name. */
export const CLUSTER_ROLE = "proxy-service-role-cluster";

/**
 * A kubeconfig file for a fresh ServiceAccount in `namespace`, bound to the shipped ClusterRole, with a
 * token from the TokenRequest API: the operator under test runs with exactly the RBAC we ship, not admin.
 */
export async function operatorKubeconfig(namespace: string): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const sa = "proxy-service-account";
  await apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa } }, namespace);
  const binding = `proxy-service-test-${namespace}`;
  await apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: binding },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CLUSTER_ROLE },
    subjects: [{ kind: "ServiceAccount", name: sa, namespace }],
  });
  const tokenRequest = await admin.request<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`,
    { body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 7200 } } },
  );
  const cluster = currentAdmin().getCurrentCluster()!;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "local", server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: cluster.skipTLSVerify }],
    users: [{ name: sa, token: tokenRequest.status.token }],
    contexts: [{ name: "operator", cluster: "local", user: sa, namespace }],
    currentContext: "operator",
  });
  mkdirSync(logDir, { recursive: true });
  const file = path.join(logDir, `${namespace}.kubeconfig`);
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return { file, cleanup: () => remove("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", undefined, binding) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logFile: string;
  metrics(): Promise<string>;
  /** SIGTERM (graceful) or SIGKILL, and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `proxy-service run` as a child process under the given kubeconfig, watching one namespace, or
 * every namespace with `watch: "all"` (as the image runs by default; its Lease is still in `namespace`).
 */
export async function startOperator(kubeconfig: string, namespace: string, extraArgs: string[] = [], watch: "namespace" | "all" = "namespace"): Promise<OperatorProcess> {
  const port = await freePort();
  const logFile = path.join(logDir, `${namespace}-operator-${randomBytes(2).toString("hex")}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      // PROXY_SERVICE_NODE_FLAGS: node flags the image puts before the script (the benchmark; NODE_OPTIONS refuses some).
      ...(process.env.PROXY_SERVICE_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
      // PROXY_SERVICE_MAIN runs a compiled build (dist/cli/main.js) instead, as the image does (the benchmark).
      process.env.PROXY_SERVICE_MAIN ?? path.join(repoRoot, "bin/proxy-service.js"),
      "run",
      "--kubeconfig",
      kubeconfig,
      ...(watch === "namespace" ? ["--namespace", namespace] : []),
      "--leader-election-namespace",
      namespace,
      "--metrics-bind-address",
      `127.0.0.1:${port}`,
      ...extraArgs,
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const metrics = async (): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return res.text();
  };
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok).catch(() => false)) || child.exitCode !== null, {
    timeout: 60_000,
    description: `operator ready (log: ${logFile})`,
  });
  if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}: ${readFileSync(logFile, "utf8").slice(-2000)}`);
  return {
    child,
    port,
    logFile,
    metrics,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The value of one metric series in Prometheus text, 0 when absent. */
export function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

/** Sum of the operator's write requests (apply, create, delete, replace, status) except Lease renewals. */
export function writesExceptLeases(text: string): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith("proxy_service_operator_api_writes_total{") && !l.includes('kind="Lease"'))
    .reduce((sum, l) => sum + Number(l.split(" ")[1]), 0);
}

/** The application of the published example (Deployment s0, 10 replicas, Service sn0), in `namespace`. */
export async function deploySampleApp(namespace: string): Promise<void> {
  for (const obj of readYaml("example/sample-app.yaml")) await apply(obj, namespace);
}

/** The ready endpoint addresses of a Service, from its EndpointSlices. */
export async function readyAddresses(namespace: string, service: string): Promise<string[]> {
  const list = await admin.request<{ items: EndpointSlice[] }>("GET", `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
    query: { labelSelector: `kubernetes.io/service-name=${service}` },
  });
  return list.items.flatMap((s) => readyOf(s)).sort();
}

export interface EndpointSlice extends KubeObject {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

export function readyOf(slice: EndpointSlice): string[] {
  return (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses);
}

/** Pod IPs of the pods matching a label selector, Ready ones only. */
export async function readyPodIps(namespace: string, labelSelector: string): Promise<string[]> {
  const list = await admin.request<{ items: { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }[] }>(
    "GET",
    `/api/v1/namespaces/${namespace}/pods`,
    { query: { labelSelector } },
  );
  return list.items
    .filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
    .map((p) => p.status?.podIP ?? "")
    .filter(Boolean)
    .sort();
}

/**
 * Watches a Service's EndpointSlices and keeps the lowest total of ready endpoints seen over all of them
 * at any moment, so a test can assert that callers never saw an empty Service.
 */
export async function watchReadyEndpoints(namespace: string, service: string): Promise<{ min: () => number; current: () => number; stop: () => void }> {
  const slices = new Map<string, number>();
  let min = Number.POSITIVE_INFINITY;
  const total = (): number => [...slices.values()].reduce((a, b) => a + b, 0);
  const list = await admin.request<{ items: EndpointSlice[]; metadata: { resourceVersion: string } }>(
    "GET",
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    { query: { labelSelector: `kubernetes.io/service-name=${service}` } },
  );
  for (const s of list.items) slices.set(s.metadata.name, readyOf(s).length);
  min = total();
  const controller = await new k8s.Watch(currentAdmin()).watch(
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    { labelSelector: `kubernetes.io/service-name=${service}`, resourceVersion: list.metadata.resourceVersion },
    (type: string, obj: EndpointSlice) => {
      if (type === "DELETED") slices.delete(obj.metadata.name);
      else if (type === "ADDED" || type === "MODIFIED") slices.set(obj.metadata.name, readyOf(obj).length);
      min = Math.min(min, total());
    },
    () => undefined,
  );
  return { min: () => min, current: total, stop: () => controller.abort() };
}
