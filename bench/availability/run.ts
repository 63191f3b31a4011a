// The availability benchmark (issue 16), against the shared local control plane (`hack/local-cluster.sh up` first):
// 1. fallback: S ProxyServices (each with a 2-replica application), each taken over; then, one at a time and R
//    rounds over all of them, every proxy pod of one is made unready (the readiness probe fails): the time from
//    the moment the last serving proxy endpoint left sn-i's EndpointSlices until the application's pods are
//    listed there (0 when they were listed first), and then, the proxy Ready again, the time until sn-i lists
//    only the proxies (the re-takeover: the hold of controller/availability.ts plus propagation).
// 2. the operator down at the same moment: two operator replicas (the chart's replicaCount: 2, default lease
//    settings); the leader is killed with SIGKILL as the last proxy turns unready: the time until the
//    application's pods are listed, i.e. the Lease handover plus the fallback.
// Usage: npx tsx bench/availability/run.ts [--services 25] [--rounds 2] [--leader-kills 5]
//   -> prints a summary and writes bench/results/availability.json
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { KubeObject } from "../../src/kube/object.js";
import { createTestNamespace } from "../../test/integration/support/cluster.js";
import { EndpointTimeline } from "../../test/integration/operator/endpoint-timeline.js";
import {
  admin,
  apply,
  currentAdminKubeConfig,
  getPs,
  installCrdAndRole,
  isReady,
  mergePatch,
  operatorKubeconfig,
  remove,
  repoRoot,
  startOperator,
  type OperatorProcess,
} from "../../test/integration/operator/support.js";
import { waitFor } from "../../test/support/wait-for.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const services = flag("--services", 25);
const rounds = flag("--rounds", 2);
const leaderKills = flag("--leader-kills", 5);
const UNREADY = "local-cluster.msvcbench.io/unready";

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};
const summary = (xs: readonly number[]): { n: number; medianMs: number; p99Ms: number; maxMs: number } => ({
  n: xs.length,
  medianMs: quantile(xs, 0.5),
  p99Ms: quantile(xs, 0.99),
  maxMs: Math.max(...xs),
});

function application(i: number): KubeObject[] {
  const labels = { app: `a${i}` };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `a${i}` },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "hashicorp/http-echo:1.0.0", ports: [{ name: "http", containerPort: 8080 }] }] } },
      },
    } as KubeObject,
    { apiVersion: "v1", kind: "Service", metadata: { name: `sn${i}` }, spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: 8080 }] } } as KubeObject,
    {
      apiVersion: "msvcbench.io/v1alpha1",
      kind: "ProxyService",
      metadata: { name: `ps${i}` },
      spec: { serviceName: `sn${i}`, port: 80, resources: { requests: { cpu: "10m", memory: "32Mi" } } },
    } as KubeObject,
  ];
}

async function proxyPods(ns: string, ps: string): Promise<KubeObject[]> {
  const list = await admin.request<{ items: KubeObject[] }>("GET", `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: `app.kubernetes.io/instance=${ps}` } });
  return list.items.filter((p) => p.metadata.deletionTimestamp === undefined);
}

async function setUnready(ns: string, ps: string, unready: boolean): Promise<void> {
  for (const pod of await proxyPods(ns, ps)) {
    await mergePatch("v1", "Pod", ns, pod.metadata.name, { metadata: { annotations: { [UNREADY]: unready ? "true" : null } } });
  }
}

/** One outage of ps-i: unready, wait for the application to be listed, Ready again, wait for the proxies only. */
async function outage(ns: string, i: number): Promise<{ gapMs: number; retakeoverMs: number }> {
  const timeline = await EndpointTimeline.start(ns, `sn${i}`, `ps${i}`);
  try {
    await waitFor(async () => timeline.now.proxies > 0 && timeline.now.app === 0, { timeout: 60_000, description: `sn${i} lists only its proxy` });
    const start = Date.now();
    await setUnready(ns, `ps${i}`, true);
    await waitFor(async () => timeline.now.app > 0, { timeout: 60_000, description: `sn${i} lists the application` });
    const gapMs = timeline.fallbackGap(start);
    if (gapMs === undefined) throw new Error(`no fallback seen for sn${i}:\n${timeline.describe(start)}`);
    const readyAgain = Date.now();
    await setUnready(ns, `ps${i}`, false);
    await waitFor(async () => timeline.now.proxies > 0 && timeline.now.app === 0, { timeout: 120_000, description: `sn${i} taken over again` });
    if (timeline.fewestServing(readyAgain) === 0) throw new Error(`sn${i} had no serving endpoint while taken over again:\n${timeline.describe(readyAgain)}`);
    return { gapMs, retakeoverMs: timeline.now.at - readyAgain };
  } finally {
    timeline.stop();
  }
}

const leaderOf = async (ops: OperatorProcess[]): Promise<OperatorProcess | undefined> => {
  for (const op of ops) if (/leader_election_master_status\{name="proxyservice"\} 1/.test(await op.metrics().catch(() => ""))) return op;
  return undefined;
};

async function main(): Promise<void> {
  await installCrdAndRole();
  const ns = await createTestNamespace("bench-avail", currentAdminKubeConfig());
  const kc = await operatorKubeconfig(ns.name);
  const ops: OperatorProcess[] = [];
  try {
    // Two replicas as the chart's replicaCount: 2 runs them (default lease settings: 15 s, 10 s, 2 s).
    ops.push(await startOperator(kc.file, ns.name), await startOperator(kc.file, ns.name));
    for (let i = 0; i < services; i++) for (const obj of application(i)) await apply(obj, ns.name);
    await waitFor(
      async () => {
        for (let i = 0; i < services; i++) if (!isReady(await getPs(ns.name, `ps${i}`))) return false;
        return true;
      },
      { timeout: 300_000, interval: 1000, description: `all ${services} ProxyServices Ready` },
    );
    const gaps: number[] = [];
    const retakeovers: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < services; i++) {
        const r = await outage(ns.name, i);
        gaps.push(r.gapMs);
        retakeovers.push(r.retakeoverMs);
        process.stderr.write(`round ${round + 1} sn${i}: application listed ${r.gapMs} ms after the last proxy left; taken over again ${r.retakeoverMs} ms after Ready\n`);
      }
    }

    const handovers: number[] = [];
    for (let k = 0; k < Math.min(leaderKills, services); k++) {
      const leader = await waitFor(() => leaderOf(ops), { timeout: 60_000, description: "a leader" });
      const timeline = await EndpointTimeline.start(ns.name, `sn${k}`, `ps${k}`);
      try {
        await waitFor(async () => timeline.now.proxies > 0 && timeline.now.app === 0, { timeout: 120_000, description: `sn${k} taken over` });
        const start = Date.now();
        await Promise.all([leader.stop("SIGKILL"), setUnready(ns.name, `ps${k}`, true)]);
        ops.splice(ops.indexOf(leader), 1);
        await waitFor(async () => timeline.now.app > 0, { timeout: 120_000, description: `sn${k} falls back under the new leader` });
        handovers.push(timeline.fallbackGap(start) ?? NaN);
        process.stderr.write(`leader killed with the last proxy of sn${k}: application listed after ${handovers.at(-1)} ms\n`);
        await setUnready(ns.name, `ps${k}`, false);
        ops.push(await startOperator(kc.file, ns.name));
      } finally {
        timeline.stop();
      }
    }

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg() },
      command: `npx tsx bench/availability/run.ts --services ${services} --rounds ${rounds} --leader-kills ${leaderKills}`,
      fallbackGap: summary(gaps),
      retakeoverAfterReady: summary(retakeovers),
      leaderKilledWithLastProxy: handovers.length ? summary(handovers) : undefined,
      samples: { gaps, retakeovers, handovers },
    };
    console.log(JSON.stringify({ ...result, samples: undefined }, null, 2));
    const out = path.join(repoRoot, "bench/results/availability.json");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    for (let i = 0; i < services; i++) await remove("msvcbench.io/v1alpha1", "ProxyService", ns.name, `ps${i}`);
    await waitFor(
      async () => (await admin.request<{ items: unknown[] }>("GET", `/apis/msvcbench.io/v1alpha1/namespaces/${ns.name}/proxyservices`)).items.length === 0,
      { timeout: 120_000, description: "every ProxyService deleted" },
    ).catch(() => undefined);
    for (const op of ops) await op.stop("SIGTERM");
    await kc.cleanup();
    await ns.cleanup();
  }
}

await main();
