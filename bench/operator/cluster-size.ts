// The operator's footprint against the size of the cluster around it (issue 17), on a private local control
// plane. The cluster is filled in steps (by default 0, 2,000 and 10,000 extra Services in 20 namespaces, each
// with one EndpointSlice of 10 endpoints, plus 500 users' DestinationRules and 200 AuthorizationPolicies once
// the first Services are there), next to 10 ProxyServices (or --proxy-services N) in a namespace of their own. At
// each step the operator is started as the image runs it (compiled, `node <the ENTRYPOINT's flags> dist/cli/main.js run`, every namespace,
// leader election on, its V8 heap sized as Node sizes it under the chart's memory limit: bench/operator/deployed-heap.ts)
// and measured:
//   start until /readyz; peak RSS until ready; heap used at ready; steady RSS and heap (median of 5 samples
//   after the ProxyServices are Ready and 20 s of quiet); CPU seconds per minute while idle (30 s) and under 50
//   EndpointSlice updates per second of unrelated Services; the peak RSS during a forced relist (the API
//   server is restarted: its new watch cache starts at the current revision, so every watch resumed from an
//   older resourceVersion gets 410 Gone; the script checks that each kind was listed again); create -> Ready
//   of 5 new ProxyServices, one at a time; and istiod's RSS in the same cluster.
// Each number is printed with /proc/loadavg beside it: the machine is shared.
//
// Usage: npx tsx bench/operator/cluster-size.ts [--sizes 0,2000,10000] [--compare DIR] [--churn-seconds 60]
//          [--proxy-services 10] [--nodes N] [--memory-limit-mib N]
//   --proxy-services N: with more than 100, each ProxyService asks for one proxy (as bench/operator/run.ts does), and
//   the cluster gets 6 simulated nodes unless --nodes says otherwise (3 nodes hold at most 750 pods).
//   --memory-limit-mib: the memory limit the operator's heap is sized for (default: the chart's; 0: Node's defaults
//   for this machine, as the runs before 2026-12-04 did).
//   --compare DIR: also measure the operator built in DIR (its dist/cli/main.js) at each step, in the same
//   cluster, right before this work tree's: the baseline (e.g. a build of main).
//   -> prints a table and writes bench/results/operator-cluster-size.json (with --proxy-services N other than 10:
//      operator-cluster-size-Nps.json, so that the runs of each count are kept side by side)
// Takes about 4 minutes per step and operator plus the filling (about 2 minutes per 1,000 Services here).
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { KubeObject } from "../../src/kube/object.js";
import { PrivateCluster } from "../../test/integration/cluster/local-cluster.js";
import { chartMemoryLimitMiB, deployedRuntime } from "./deployed-heap.js";
import { createTestNamespace } from "../../test/integration/support/cluster.js";
import { waitFor } from "../../test/support/wait-for.js";
import {
  admin,
  apply,
  currentAdminKubeConfig,
  freePort,
  installCrdAndRole,
  isReady,
  metricValue,
  operatorKubeconfig,
  remove,
  repoRoot,
  useCluster,
  type ProxyServiceObject,
} from "../../test/integration/operator/support.js";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const sizes = (option("--sizes") ?? "0,2000,10000").split(",").map(Number);
const compareDir = option("--compare");
const churnSeconds = Number(option("--churn-seconds") ?? 60);
const NAMESPACES = 20;
const PROXY_SERVICES = Number(option("--proxy-services") ?? 10);
const NODES = Number(option("--nodes") ?? (PROXY_SERVICES > 100 ? 6 : 3));
const memoryLimitMiB = Number(option("--memory-limit-mib") ?? chartMemoryLimitMiB(repoRoot));
const { heapFlags, nodeFlags, mallocEnv, description: runtimeDescription } = deployedRuntime(repoRoot, memoryLimitMiB);
/** How long the ProxyServices may take to be Ready: the controller manager makes about 4 proxies a second here. */
const READY_TIMEOUT_MS = Math.max(300_000, PROXY_SERVICES * 1_000);
const CHURN_PER_SECOND = 50;
const USER_RULES = 500;
const USER_POLICIES = 200;

const loadavg = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

function proc(pid: number): { cpuSeconds: number; rssMiB: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticks, rssMiB: kb("VmRSS") / 1024, peakRssMiB: kb("VmHWM") / 1024 };
}

/** Resets the kernel's peak-RSS mark of a process we started (clear_refs 5), so VmHWM then shows a phase's own peak. */
const resetPeak = (pid: number): void => writeFileSync(`/proc/${pid}/clear_refs`, "5");

async function retrying<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 0;
      if (status === 409) return undefined as T; // already there: filling is idempotent
      if (attempt >= 8 || !(status === 429 || status >= 500 || status === 0)) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

/** Runs `work(i)` for every i in [from, to) with `parallel` requests in flight. */
async function inParallel(from: number, to: number, parallel: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < to; i = next++) await work(i);
    }),
  );
}

const fillerNs = (i: number): string => `filler-${i % NAMESPACES}`;
const fillerName = (i: number): string => `svc-${i}`;

function endpointSlice(i: number): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${fillerName(i)}-a`,
      labels: { "kubernetes.io/service-name": fillerName(i), "endpointslice.kubernetes.io/managed-by": "bench.msvcbench.io" },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: Array.from({ length: 10 }, (_, e) => ({
      addresses: [`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${((i & 255) * 10 + e) % 250}`],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: `node-${e % 3}`,
      targetRef: { kind: "Pod", namespace: fillerNs(i), name: `${fillerName(i)}-pod-${e}` },
    })),
  } as KubeObject;
}

async function fill(from: number, to: number): Promise<void> {
  const post = (p: string, body: KubeObject): Promise<unknown> => retrying(() => admin.request("POST", p, { body }));
  await inParallel(from, to, 32, async (i) => {
    const ns = fillerNs(i);
    await post(`/api/v1/namespaces/${ns}/services`, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: fillerName(i), labels: { app: fillerName(i) } },
      spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    } as KubeObject);
    await post(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, endpointSlice(i));
  });
}

async function fillIstio(): Promise<void> {
  const post = (p: string, body: KubeObject): Promise<unknown> => retrying(() => admin.request("POST", p, { body }));
  await inParallel(0, USER_RULES, 16, (i) =>
    post(`/apis/networking.istio.io/v1/namespaces/${fillerNs(i)}/destinationrules`, {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: `dr-${i}` },
      spec: {
        host: `${fillerName(i)}.${fillerNs(i)}.svc.cluster.local`,
        trafficPolicy: { connectionPool: { http: { http2MaxRequests: 1000 } }, outlierDetection: { consecutive5xxErrors: 5, interval: "10s" }, loadBalancer: { simple: "ROUND_ROBIN" } },
        subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }],
      },
    } as KubeObject),
  );
  await inParallel(0, USER_POLICIES, 16, (i) =>
    post(`/apis/security.istio.io/v1/namespaces/${fillerNs(i)}/authorizationpolicies`, {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: `ap-${i}` },
      spec: {
        selector: { matchLabels: { app: fillerName(i) } },
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: [`cluster.local/ns/${fillerNs(i + 1)}/sa/caller`] } }], to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }] }],
      },
    } as KubeObject),
  );
}

const psPath = (ns: string, name = ""): string => `/apis/msvcbench.io/v1alpha1/namespaces/${ns}/proxyservices${name ? `/${name}` : ""}`;

async function proxyService(ns: string, name: string): Promise<void> {
  await retrying(() => apply({ apiVersion: "v1", kind: "Service", metadata: { name: `svc-${name}` }, spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } }, ns));
  const spec = { serviceName: `svc-${name}`, port: 80, resources: { requests: { cpu: "10m", memory: "16Mi" } }, ...(PROXY_SERVICES > 100 ? { autoscaling: { minReplicas: 1 } } : {}) };
  await retrying(() => apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name }, spec }, ns));
}

const allReady = async (ns: string, count: number): Promise<boolean> =>
  (await admin.request<{ items: ProxyServiceObject[] }>("GET", psPath(ns))).items.filter(isReady).length === count;

interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly readyMs: number;
  readonly logFile: string;
  metrics(): Promise<string>;
}

/** Starts the operator as its image does, and times it until /readyz answers 200 (polled every 10 ms). */
async function startOperator(main: string, kubeconfig: string, leaseNs: string, label: string): Promise<Running> {
  const port = await freePort();
  const logDir = path.join(repoRoot, ".local-cluster", "test-logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `cluster-size-${label}.log`);
  const started = performance.now();
  // Leader election on, as in the image, but with the lease of test/integration/operator/apiserver-restart.test.ts,
  // so that the forced relist's API server restart (slow on a busy machine) does not cost the leadership too.
  const flags = ["--leader-election-namespace", leaseNs, "--lease-duration", "90", "--renew-deadline", "60", "--metrics-bind-address", `127.0.0.1:${port}`];
  const child = spawn(process.execPath, [...heapFlags, ...nodeFlags, main, "run", "--kubeconfig", kubeconfig, ...flags], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...mallocEnv },
  });
  const out = createWriteStream(logFile);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok).catch(() => false)) || child.exitCode !== null, {
    timeout: 120_000,
    interval: 10,
    description: `operator ready (log: ${logFile})`,
  });
  const readyMs = performance.now() - started;
  if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}: ${readFileSync(logFile, "utf8").slice(-2000)}`);
  return { child, pid: child.pid!, port, readyMs, logFile, metrics: () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()) };
}

async function stopOperator(op: Running): Promise<void> {
  if (op.child.exitCode !== null) return;
  const exited = new Promise((r) => op.child.once("exit", r));
  op.child.kill("SIGTERM");
  await exited;
}

const heapMiB = async (op: Running): Promise<number> => metricValue(await op.metrics(), "nodejs_heap_size_used_bytes") / 2 ** 20;
const lists = async (op: Running, resource: string): Promise<number> =>
  (await op.metrics())
    .split("\n")
    .filter((l) => l.startsWith("proxy_service_operator_api_requests_total{") && l.includes('verb="list"') && l.includes(`resource="${resource}"`))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);

/** Waits `ms` of wall time, checking every second that the operator still runs (a wait, not a synchronisation). */
async function during(ms: number, op: Running): Promise<void> {
  const started = performance.now();
  await waitFor(() => op.child.exitCode === null && performance.now() - started >= ms, { timeout: ms + 10_000, interval: 1000 });
}

/** Patches `perSecond` unrelated EndpointSlices a second (a label, which costs a watcher what an endpoint change does). */
async function churn(size: number, seconds: number, perSecond: number): Promise<number> {
  let sent = 0;
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let n = 0; performance.now() - started < seconds * 1000; n++) {
    const due = started + (n * 1000) / perSecond;
    if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
    const i = n % size;
    const p = admin
      .request("PATCH", `/apis/discovery.k8s.io/v1/namespaces/${fillerNs(i)}/endpointslices/${fillerName(i)}-a`, {
        body: { metadata: { labels: { "bench-tick": String(n) } } },
        contentType: "application/merge-patch+json",
      })
      .then(() => sent++)
      .catch(() => undefined);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  return sent;
}

async function measure(cluster: PrivateCluster, main: string, label: string, size: number, ctx: { kubeconfig: string; psNs: string }): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = { operator: label, extraServices: size };
  console.log(`[${label} @ ${size}] starting the operator (load ${loadavg()}) ...`);
  const op = await startOperator(main, ctx.kubeconfig, ctx.psNs, `${label}-${size}`);
  try {
    const atReady = proc(op.pid);
    r.startToReadyzS = { value: round(op.readyMs / 1000, 2), load: loadavg() };
    r.peakRssUntilReadyMiB = { value: round(atReady.peakRssMiB), load: loadavg() };
    r.heapUsedAtReadyMiB = { value: round(await heapMiB(op)), load: loadavg() };
    console.log(JSON.stringify({ startToReadyzS: r.startToReadyzS, peakRssUntilReadyMiB: r.peakRssUntilReadyMiB, heapUsedAtReadyMiB: r.heapUsedAtReadyMiB }));

    await waitFor(() => allReady(ctx.psNs, PROXY_SERVICES), { timeout: READY_TIMEOUT_MS, interval: 1000, description: `${PROXY_SERVICES} ProxyServices Ready` });
    await during(20_000, op);
    const rss: number[] = [];
    const heap: number[] = [];
    for (let i = 0; i < 5; i++) {
      rss.push(proc(op.pid).rssMiB);
      heap.push(await heapMiB(op));
      await during(2_000, op);
    }
    r.steadyRssMiB = { value: round(median(rss)), min: round(Math.min(...rss)), max: round(Math.max(...rss)), load: loadavg() };
    r.steadyHeapUsedMiB = { value: round(median(heap)), load: loadavg() };
    r.peakRssUntilSteadyMiB = { value: round(proc(op.pid).peakRssMiB), load: loadavg() };
    console.log(JSON.stringify({ steadyRssMiB: r.steadyRssMiB, steadyHeapUsedMiB: r.steadyHeapUsedMiB }));

    const idleFrom = proc(op.pid).cpuSeconds;
    await during(30_000, op);
    r.idleCpuSecondsPerMinute = { value: round(((proc(op.pid).cpuSeconds - idleFrom) * 60) / 30, 2), load: loadavg() };
    if (size > 0) {
      const churnFrom = proc(op.pid).cpuSeconds;
      const sent = await churn(size, churnSeconds, CHURN_PER_SECOND);
      r.churnCpuSecondsPerMinute = { value: round(((proc(op.pid).cpuSeconds - churnFrom) * 60) / churnSeconds, 2), updatesPerSecond: round(sent / churnSeconds), load: loadavg() };
    }
    console.log(JSON.stringify({ idleCpuSecondsPerMinute: r.idleCpuSecondsPerMinute, churnCpuSecondsPerMinute: r.churnCpuSecondsPerMinute }));

    // The forced relist: the restarted API server's watch cache starts at the current revision, so a watch
    // resumed from any older resourceVersion is answered 410 Gone and the watcher lists again.
    const kinds = ["proxyservices", "services", "endpointslices", "destinationrules", "authorizationpolicies"];
    const listsBefore = await Promise.all(kinds.map((k) => lists(op, k)));
    resetPeak(op.pid);
    const restart = await cluster.run("restart", "apiserver");
    if (restart.code !== 0) throw new Error(`restart apiserver failed: ${restart.stderr}`);
    // Some watches of a kind that holds nothing here would resume; wait until the kinds that hold objects relisted.
    const relisted = await waitFor(
      async () => {
        if (op.child.exitCode !== null) throw new Error(`the operator exited during the API server restart (log: ${op.logFile})`);
        const now = await Promise.all(kinds.map((k) => lists(op, k).catch(() => 0)));
        const done = kinds.filter((_, i) => (now[i] ?? 0) > (listsBefore[i] ?? 0));
        return done.includes("destinationrules") && done.includes("proxyservices") ? done : undefined;
      },
      { timeout: 120_000, interval: 500, description: "the operator relisted after the API server restart" },
    );
    await during(15_000, op);
    r.relist = { peakRssMiB: round(proc(op.pid).peakRssMiB), relistedKinds: relisted, load: loadavg() };
    console.log(JSON.stringify({ relist: r.relist }));
    await waitFor(() => allReady(ctx.psNs, PROXY_SERVICES), { timeout: READY_TIMEOUT_MS, interval: 1000, description: "ProxyServices Ready after the restart" });

    const createMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `new-${label}-${size}-${i}`.replace(/[^a-z0-9-]/g, "-");
      const started = performance.now();
      await proxyService(ctx.psNs, name);
      await waitFor(async () => isReady(await admin.request<ProxyServiceObject>("GET", psPath(ctx.psNs, name))), { timeout: 120_000, interval: 50, description: `${name} Ready` });
      createMs.push(performance.now() - started);
    }
    r.createToReadyMs = { median: Math.round(median(createMs)), samples: createMs.map(Math.round), load: loadavg() };
    for (let i = 0; i < 5; i++) await remove("msvcbench.io/v1alpha1", "ProxyService", ctx.psNs, `new-${label}-${size}-${i}`.replace(/[^a-z0-9-]/g, "-"));
    await waitFor(async () => (await admin.request<{ items: unknown[] }>("GET", psPath(ctx.psNs))).items.length === PROXY_SERVICES, {
      timeout: 120_000,
      interval: 500,
      description: "the new ProxyServices deleted",
    });
    r.istiodRssMiB = { value: round(proc(cluster.pids().istiod ?? 0).rssMiB), load: loadavg() };
    r.peakRssWholeRunMiB = round(proc(op.pid).peakRssMiB);
    console.log(JSON.stringify({ createToReadyMs: r.createToReadyMs, istiodRssMiB: r.istiodRssMiB }));
  } finally {
    await stopOperator(op);
  }
  return r;
}

async function main(): Promise<void> {
  execFileSync(path.join(repoRoot, "hack/local-cluster.sh"), ["build"], { stdio: ["ignore", "ignore", "inherit"] });
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  const operators: [string, string][] = [
    ...(compareDir ? ([["baseline", path.resolve(compareDir, "dist/cli/main.js")]] as [string, string][]) : []),
    ["this", path.join(repoRoot, "dist/cli/main.js")],
  ];
  const cluster = new PrivateCluster();
  await cluster.up("--nodes", String(NODES));
  useCluster(cluster.kubeConfig());
  const results: Record<string, unknown>[] = [];
  const started = performance.now();
  try {
    await installCrdAndRole();
    const psNs = await createTestNamespace("bench-size", currentAdminKubeConfig());
    const kc = await operatorKubeconfig(psNs.name);
    for (let i = 0; i < NAMESPACES; i++) await retrying(() => admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: `filler-${i}` } } }));
    await inParallel(0, PROXY_SERVICES, 8, (i) => proxyService(psNs.name, `ps-${i}`));
    let filled = 0;
    for (const size of sizes) {
      if (size > filled) {
        const t = performance.now();
        console.log(`filling: Services and EndpointSlices ${filled}..${size} ...`);
        await fill(filled, size);
        if (filled === 0) await fillIstio();
        filled = size;
        console.log(`filled in ${round((performance.now() - t) / 1000)} s`);
      }
      for (const [label, main] of operators) results.push(await measure(cluster, main, label, size, { kubeconfig: kc.file, psNs: psNs.name }));
      write(results, started);
    }
  } finally {
    await cluster.destroy();
  }
  printTable(results);
}

function write(results: Record<string, unknown>[], started: number): void {
  const out = path.join(repoRoot, `bench/results/operator-cluster-size${PROXY_SERVICES === 10 ? "" : `-${PROXY_SERVICES}ps`}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  const doc = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, node: process.version },
    // The compared build's directory is this machine's: the command keeps its place, not its path.
    command: `npx tsx bench/operator/cluster-size.ts ${args.map((a, i) => (args[i - 1] === "--compare" ? "DIR" : a)).join(" ")}`.trim(),
    operator: runtimeDescription,
    setup: `${PROXY_SERVICES} ProxyServices${PROXY_SERVICES > 100 ? " of one proxy each" : ""} on ${NODES} simulated nodes; extra Services in ${NAMESPACES} namespaces, one EndpointSlice of 10 endpoints each; ${USER_RULES} DestinationRules, ${USER_POLICIES} AuthorizationPolicies; churn ${CHURN_PER_SECOND} EndpointSlice updates/s for ${churnSeconds} s`,
    minutes: round((performance.now() - started) / 60_000),
    results,
  };
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${path.relative(repoRoot, out)}`);
}

function printTable(results: Record<string, unknown>[]): void {
  const v = (x: unknown): string => (x === undefined ? "-" : String((x as { value?: unknown }).value ?? x));
  console.log("| operator | extra Services | start until /readyz (s) | peak RSS until ready (MiB) | heap at ready (MiB) | steady RSS (MiB) | CPU s/min under churn | relist peak (MiB) | create -> Ready (ms) | istiod RSS (MiB) |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    console.log(
      `| ${String(r.operator)} | ${String(r.extraServices)} | ${v(r.startToReadyzS)} | ${v(r.peakRssUntilReadyMiB)} | ${v(r.heapUsedAtReadyMiB)} | ${v(r.steadyRssMiB)} | ${v(r.churnCpuSecondsPerMinute)} | ${String((r.relist as { peakRssMiB?: number } | undefined)?.peakRssMiB ?? "-")} | ${String((r.createToReadyMs as { median?: number } | undefined)?.median ?? "-")} | ${v(r.istiodRssMiB)} |`,
    );
  }
}

await main();
