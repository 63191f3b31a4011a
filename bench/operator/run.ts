// The operator's benchmark (issue 4), against the local control plane:
// 1. create -> Ready=True for one ProxyService, median and p95 over 20, next to the floor: the time the same
//    cluster takes to make a plain Deployment of the same size (one pod) Available;
// 2. N ProxyServices (default 1,000), each with its own application Service, created at once: time until all
//    are Ready, the operator's peak RSS and CPU time, then its writes per minute while nothing changes.
// 3. the takeover as the callers' proxies see it: applying a ProxyService until the real istiod's EDS for a
//    sidecar caller lists only the proxies, next to a plain selector change (bench/operator/xds-takeover.ts).
// Usage: npx tsx bench/operator/run.ts [count] [--idle-seconds 60] [--concurrency 16] [--nodes 6] [--controller-qps 0] [--memory-limit-mib N] [--xds-samples 5]
// A count of 0 runs 1 and 3 only and writes bench/results/operator-single.json.
// --controller-qps raises the controller manager's client rate limit (0: upstream's 20/s), so that the floor and the
// ProxyServices are not both held at that limit and the ratio shows what the operator itself costs.
// --memory-limit-mib: the operator's V8 heap is sized as Node sizes it under this container memory limit (default:
// the chart's, resources.limits.memory), as the image runs in a cluster; 0 leaves Node's defaults for this machine,
// as the runs before 2026-12-04 did (bench/operator/deployed-heap.ts says what differs).
//   -> prints a summary and writes bench/results/operator.json
// It runs on a control plane of its own with --nodes simulated nodes (3 nodes hold at most 750 pods, fewer
// than 1,000 proxies), so it neither disturbs nor is disturbed by other users of the shared cluster. The bulk
// ProxyServices ask for 10m CPU per proxy (spec.resources) and one proxy each (autoscaling.minReplicas 1, as before the
// two-proxy default, so the numbers stay comparable) so that 1,000 proxies fit on the simulated nodes.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { KubeObject } from "../../src/kube/object.js";
import { createTestNamespace } from "../../test/integration/support/cluster.js";
import { useIstioCluster } from "../../test/integration/istio/support.js";
import { chartMemoryLimitMiB, deployedRuntime } from "./deployed-heap.js";
import { measureXdsTakeover } from "./xds-takeover.js";
import { PrivateCluster } from "../../test/integration/cluster/local-cluster.js";
import { waitFor } from "../../test/support/wait-for.js";
import {
  admin,
  apply,
  currentAdminKubeConfig,
  useCluster,
  installCrdAndRole,
  isReady,
  operatorKubeconfig,
  remove,
  repoRoot,
  startOperator,
  writesExceptLeases,
  type ProxyServiceObject,
} from "../../test/integration/operator/support.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const idleSeconds = flag("--idle-seconds", 60);
const concurrency = flag("--concurrency", 16);
const nodes = flag("--nodes", 6);
const controllerQPS = flag("--controller-qps", 0);
const memoryLimitMiB = flag("--memory-limit-mib", chartMemoryLimitMiB(repoRoot));
const xdsSamples = flag("--xds-samples", 5);
const samples = 20;

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};
const psPath = (ns: string): string => `/apis/msvcbench.io/v1alpha1/namespaces/${ns}/proxyservices`;

/** A counter's samples keyed by their labels (`result="requeue"`, `verb="apply",kind="Deployment"`), for the breakdowns. */
function countersByLabels(metrics: string, name: string): Record<string, number> {
  const sample = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`);
  const out: Record<string, number> = {};
  for (const line of metrics.split("\n")) {
    const m = sample.exec(line);
    if (m) out[m[1]!.replace(/controller="[^"]*",?/, "")] = Number(m[2]);
  }
  return out;
}

/** Every reconcile the operator finished, whatever its result (controller_runtime_reconcile_total). */
const reconcilesTotal = (metrics: string): number =>
  Object.values(countersByLabels(metrics, "controller_runtime_reconcile_total")).reduce((a, b) => a + b, 0);

/** CPU seconds (user + system) and peak RSS (MiB) of a process, from /proc. */
function processStats(pid: number): { cpuSeconds: number; peakRssMiB: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticks;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds, peakRssMiB: kb("VmHWM") / 1024, rssMiB: kb("VmRSS") / 1024 };
}

/** Retries a request that the (shared, busy) API server timed out or throttled: the benchmark measures the operator. */
async function retrying<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 0;
      if (attempt >= 8 || !(status === 429 || status >= 500)) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

async function appService(ns: string, name: string): Promise<void> {
  await retrying(() => apply({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } }, ns));
}

/** Creates with the admin and polls every 50 ms until `done`, returning the elapsed milliseconds. */
async function timeUntil(create: () => Promise<unknown>, done: () => Promise<boolean>, timeout = 120_000): Promise<number> {
  const started = performance.now();
  await create();
  await waitFor(done, { timeout, interval: 50, description: "benchmark step" });
  return performance.now() - started;
}

/** A Deployment of one pod of the proxies' shape (an injected gateway pod), without the operator: the floor. */
function plainDeployment(name: string): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      // Injected like the proxies (the local cluster runs istiod and its injector): both pay the webhook.
      template: {
        metadata: { labels: { app: name, "sidecar.istio.io/inject": "true" }, annotations: { "inject.istio.io/templates": "gateway" } },
        spec: { containers: [{ name: "istio-proxy", image: "auto", resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
      },
    },
  };
}

async function floorSamples(ns: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const name = `floor-${i}`;
    const deployment = plainDeployment(name);
    out.push(
      await timeUntil(
        () => apply(deployment, ns),
        async () => {
          const d = await admin.request<{ status?: { conditions?: { type: string; status: string }[] } }>("GET", `/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
          return d.status?.conditions?.some((c) => c.type === "Available" && c.status === "True") ?? false;
        },
      ),
    );
    await remove("apps/v1", "Deployment", ns, name);
  }
  return out;
}

async function proxyServiceSamples(ns: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const name = `single-${i}`;
    await appService(ns, `svc-${name}`);
    out.push(
      await timeUntil(
        () => apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name }, spec: { serviceName: `svc-${name}`, port: 80 } }, ns),
        async () => isReady(await admin.request<ProxyServiceObject>("GET", `${psPath(ns)}/${name}`)),
      ),
    );
  }
  return out;
}

/** Deletes every ProxyService of a namespace and waits until the operator has let them all go. */
async function deleteAll(ns: string): Promise<void> {
  const list = await admin.request<{ items: KubeObject[] }>("GET", psPath(ns));
  await Promise.all(list.items.map((ps) => remove("msvcbench.io/v1alpha1", "ProxyService", ns, ps.metadata.name)));
  await waitFor(async () => (await admin.request<{ items: unknown[] }>("GET", psPath(ns))).items.length === 0, {
    timeout: 1_800_000,
    interval: 1000,
    description: `every ProxyService in ${ns} deleted`,
  });
}

async function main(): Promise<void> {
  execFileSync(path.join(repoRoot, "hack/local-cluster.sh"), ["build"], { stdio: ["ignore", "ignore", "inherit"] });
  const cluster = new PrivateCluster();
  const up = await cluster.run("up", "--nodes", String(nodes), "--controller-qps", String(controllerQPS));
  if (up.code !== 0) throw new Error(`private cluster: up failed:\n${up.stderr}`);
  useCluster(cluster.kubeConfig());
  useIstioCluster(cluster.stateDir, path.join(repoRoot, ".local-cluster/bin"));
  try {
    await benchmark();
  } finally {
    await cluster.destroy();
  }
}

async function benchmark(): Promise<void> {
  // Measure the operator as it runs in its image: compiled JavaScript, not TypeScript through tsx
  // (whose in-process compiler would add to the RSS we report).
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  process.env.PROXY_SERVICE_MAIN = path.join(repoRoot, "dist/cli/main.js");
  const runtime = deployedRuntime(repoRoot, memoryLimitMiB);
  // The operators started below inherit this environment: the heap flags and the image's malloc settings.
  if (runtime.heapFlags.length > 0) process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS ?? "", ...runtime.heapFlags].join(" ").trim();
  Object.assign(process.env, runtime.mallocEnv);
  process.env.PROXY_SERVICE_NODE_FLAGS = runtime.nodeFlags.join(" ");
  await installCrdAndRole();
  const single = await createTestNamespace("bench-op-single", currentAdminKubeConfig());
  const bulk = await createTestNamespace("bench-op-bulk", currentAdminKubeConfig());
  const kc1 = await operatorKubeconfig(single.name);
  const operatorArgs = ["--no-leader-elect", "--concurrency", String(concurrency)];
  let operator = await startOperator(kc1.file, single.name, operatorArgs);
  let kc2 = kc1;
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, node: process.version },
    operator: runtime.description,
    cluster: `a private local control plane with ${nodes} simulated nodes`,
    controllerManagerQPS: controllerQPS > 0 ? controllerQPS : "default (20, burst 30)",
    concurrency,
  };
  try {
    console.log(`floor: ${samples} plain Deployments (1 replica) created one at a time ...`);
    const floor = await floorSamples(single.name);
    console.log(`create -> Ready: ${samples} ProxyServices created one at a time ...`);
    const ready = await proxyServiceSamples(single.name);
    result.createToReady = {
      samples,
      floorMs: { median: quantile(floor, 0.5), p95: quantile(floor, 0.95) },
      proxyServiceMs: { median: quantile(ready, 0.5), p95: quantile(ready, 0.95) },
      ratioMedian: quantile(ready, 0.5) / quantile(floor, 0.5),
      ratioP95: quantile(ready, 0.95) / quantile(floor, 0.95),
    };
    console.log(JSON.stringify(result.createToReady));
    await deleteAll(single.name);
    console.log(`xDS: ${xdsSamples} takeovers as a sidecar caller's EDS from istiod sees them, and ${xdsSamples} plain selector changes ...`);
    result.xdsTakeover = await measureXdsTakeover(single.name, xdsSamples);
    console.log(JSON.stringify(result.xdsTakeover));
    await deleteAll(single.name);
    await operator.stop("SIGTERM");
    if (count === 0) return writeResult(result);

    // The floor at scale: `count` plain Deployments of the proxies' shape and their Services, created at once on
    // the same cluster with the same 8 creators, until all are Available. What the control plane's controllers
    // cost at this scale without the operator (issue 10, part 4).
    const floorNs = await createTestNamespace("bench-op-floor", currentAdminKubeConfig());
    try {
      console.log(`floor at scale: ${count} plain Deployments and Services created at once ...`);
      const floorStarted = performance.now();
      const pending = Array.from({ length: count }, (_, i) => i);
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = pending.shift(); i !== undefined; i = pending.shift()) {
            await appService(floorNs.name, `svc-${i}`);
            await retrying(() => apply(plainDeployment(`dep-${i}`), floorNs.name));
          }
        }),
      );
      await waitFor(async () => {
        const list = await admin.request<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(
          "GET",
          `/apis/apps/v1/namespaces/${floorNs.name}/deployments`,
        );
        return list.items.filter((d) => d.status?.conditions?.some((c) => c.type === "Available" && c.status === "True")).length === count;
      }, { timeout: 1_800_000, interval: 1000, description: `all ${count} plain Deployments Available` });
      result.bulkFloor = { count, allAvailableMs: Math.round(performance.now() - floorStarted) };
      console.log(JSON.stringify(result.bulkFloor));
    } finally {
      await floorNs.cleanup();
    }

    // A fresh operator for the bulk run, so its RSS and CPU are its own.
    kc2 = await operatorKubeconfig(bulk.name);
    operator = await startOperator(kc2.file, bulk.name, operatorArgs);
    const pid = operator.child.pid!;
    const before = processStats(pid);
    console.log(`${count} Services and ProxyServices created at once ...`);
    const started = performance.now();
    const queue = Array.from({ length: count }, (_, i) => i);
    const creators = Array.from({ length: 8 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await appService(bulk.name, `svc-${i}`);
        await retrying(() =>
          apply(
            {
              apiVersion: "msvcbench.io/v1alpha1",
              kind: "ProxyService",
              metadata: { name: `ps-${i}` },
              spec: { serviceName: `svc-${i}`, port: 80, resources: { requests: { cpu: "10m", memory: "16Mi" } }, autoscaling: { minReplicas: 1 } },
            },
            bulk.name,
          ),
        );
      }
    });
    await Promise.all(creators);
    const createdMs = performance.now() - started;
    let lastReport = 0;
    let peakRssMiB = 0;
    await waitFor(async () => {
      peakRssMiB = Math.max(peakRssMiB, processStats(pid).peakRssMiB);
      const list = await admin.request<{ items: ProxyServiceObject[] }>("GET", psPath(bulk.name));
      const n = list.items.filter(isReady).length;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        console.log(`  ${n}/${count} Ready after ${((performance.now() - started) / 1000).toFixed(0)} s`);
      }
      return n === count;
    }, { timeout: 1_800_000, interval: 1000, description: `all ${count} ProxyServices Ready` });
    const allReadyMs = performance.now() - started;
    const afterReady = processStats(pid);
    // The work done to get there: the runs vary (CPU 70-110 s, ratio 1.13-1.74 on one day and code), and these
    // tell a run that reconciled more from one that reconciled slower.
    const readyMetrics = await operator.metrics();
    const work = {
      reconciles: reconcilesTotal(readyMetrics),
      writes: writesExceptLeases(readyMetrics),
      reconcilesByResult: countersByLabels(readyMetrics, "controller_runtime_reconcile_total"),
      writesByVerbAndKind: countersByLabels(readyMetrics, "proxy_service_operator_api_writes_total"),
    };
    console.log(`all Ready after ${(allReadyMs / 1000).toFixed(1)} s; measuring writes for ${idleSeconds} s of idle ...`);
    // Idle: let in-flight events drain (two metric samples 5 s apart equal), then count writes over the window.
    let last = -1;
    await waitFor(async () => {
      const w = writesExceptLeases(await operator.metrics());
      const quiet = w === last;
      last = w;
      return quiet;
    }, { timeout: 300_000, interval: 5000, description: "the operator quiet" });
    const idleStart = writesExceptLeases(await operator.metrics());
    const idleStarted = performance.now();
    await waitFor(() => performance.now() - idleStarted >= idleSeconds * 1000, { timeout: idleSeconds * 1000 + 5000, interval: 1000 });
    const idleWrites = writesExceptLeases(await operator.metrics()) - idleStart;
    const end = processStats(pid);
    result.bulk = {
      count,
      createRequestsMs: Math.round(createdMs),
      allReadyMs: Math.round(allReadyMs),
      operator: {
        peakRssMiB: Math.round(Math.max(peakRssMiB, end.peakRssMiB) * 10) / 10,
        rssAtEndMiB: Math.round(end.rssMiB * 10) / 10,
        cpuSecondsUntilAllReady: Math.round((afterReady.cpuSeconds - before.cpuSeconds) * 10) / 10,
        cpuSecondsIdleWindow: Math.round((end.cpuSeconds - afterReady.cpuSeconds) * 10) / 10,
        reconcilesUntilAllReady: work.reconciles,
        writesUntilAllReady: work.writes,
        reconcilesByResult: work.reconcilesByResult,
        writesByVerbAndKind: work.writesByVerbAndKind,
      },
      idle: { seconds: idleSeconds, writes: idleWrites, writesPerMinute: (idleWrites * 60) / idleSeconds },
      ratioToFloor: Math.round((allReadyMs / (result.bulkFloor as { allAvailableMs: number }).allAvailableMs) * 100) / 100,
    };
    console.log(JSON.stringify(result.bulk));
    console.log(`deleting the ${count} ProxyServices (the operator restores every Service) ...`);
    const deleteStarted = performance.now();
    await deleteAll(bulk.name);
    (result.bulk as Record<string, unknown>).allDeletedMs = Math.round(performance.now() - deleteStarted);
    // The high-water mark of the whole bulk run, the 1,000 deletions and restores included.
    (result.bulk as { operator: Record<string, number> }).operator.peakRssMiBIncludingDeletes =
      Math.round(Math.max(peakRssMiB, processStats(pid).peakRssMiB) * 10) / 10;
    await operator.stop("SIGTERM");
    await kc2.cleanup();
  } finally {
    await operator.stop("SIGTERM");
    // After a failure, ProxyServices may be left with our finalizer and no operator to run it: drop it, so
    // the namespaces (throwaway, with throwaway Services) can go.
    for (const ns of [single.name, bulk.name]) {
      const list = await admin.request<{ items: KubeObject[] }>("GET", psPath(ns)).catch(() => ({ items: [] as KubeObject[] }));
      for (const ps of list.items) {
        await admin
          .request("PATCH", `${psPath(ns)}/${ps.metadata.name}`, { body: { metadata: { finalizers: null } }, contentType: "application/merge-patch+json" })
          .catch(() => undefined);
      }
    }
    await single.cleanup();
    await bulk.cleanup();
    await kc1.cleanup();
  }
  writeResult(result);
}

function writeResult(result: Record<string, unknown>): void {
  const name = count === 0 ? "operator-single" : controllerQPS > 0 ? `operator-qps${controllerQPS}` : "operator";
  const out = path.join(repoRoot, `bench/results/${name}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path.relative(repoRoot, out)}`);
}

await main();
