import type { KubeObject } from "../../../src/kube/object.js";
import { Rng } from "../../../src/sim/rng.js";
import { waitFor } from "../../support/wait-for.js";
import type { PrivateCluster } from "../cluster/local-cluster.js";
import { EndpointTimeline } from "../operator/endpoint-timeline.js";
import { admin, apply, getPs, isReady, mergePatch, operatorKubeconfig, startOperator, type OperatorProcess } from "../operator/support.js";
import { createTestNamespace } from "../support/cluster.js";

// Issue 16, part 5: a seeded generator of faults against several ProxyServices on a private cluster, with the
// promise checked continuously: every Service always has a serving endpoint (on a live node) that reaches the
// application, beyond the bound an unplanned outage allows.

export const FAULT_KINDS = [
  "proxyKill",
  "proxyEvict",
  "proxyUnready",
  "proxyCrash",
  "nodeDrain",
  "nodeFailure",
  "istiodRestart",
  "apiserverRestart",
  "operatorKill",
  "specRollout",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  readonly cluster: PrivateCluster;
  readonly faults: number;
  readonly seed: number;
  readonly proxyServices: number;
  readonly log: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly faults: Record<string, number>;
  readonly durationSeconds: number;
  /** Operator replicas that exited on their own (a lost lease while the API server restarted) and were started again. */
  readonly operatorExits: number;
  readonly services: {
    readonly service: string;
    /** The longest moment with no serving endpoint on a live node, in ms (the application's own outages included). */
    readonly longestWithoutServingMs: number;
    /**
     * The longest moment with no serving endpoint while the application's own Service (the target) had one,
     * in ms: how long the ProxyService made the Service less available than it was without it. Stretches
     * that began while a node was dead or the API server away are counted apart, below.
     */
    readonly longestWorseThanWithoutMs: number;
    /**
     * Stretches that began while the API server restarted or within RESTART_AFTERMATH_MS after it answered
     * again, without the time it was away (nothing can be seen or written then). With the chaos's 4 s lease the
     * leader loses it during a restart and exits, and the standby takes over at its next retry; the cluster's
     * own controllers catch up too (the EndpointSlice controller can be seconds behind: ENDPOINTS_GRACE_MS).
     */
    readonly longestWorseAfterApiServerRestartMs: number;
    /**
     * Stretches that began while a node was dead: a proxy on it still reads Ready until the node-lifecycle
     * controller declares the node unreachable (20 s here, 40 s upstream), so no operator sees it fail.
     * Such a stretch happens when the Service's other proxy was away at the same moment (a double fault).
     */
    readonly longestWorseWithDeadNodeMs: number;
    readonly fewestServing: number;
    readonly fallbacks: number;
    readonly takeovers: number;
    /** The share of the time the Service went through its proxies. */
    readonly throughProxies: number;
  }[];
}

const ANNOTATION = (name: string): string => `local-cluster.msvcbench.io/${name}`;
const LEASE = ["--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "1"];

function application(i: number): KubeObject[] {
  const labels = { app: `c${i}` };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `c${i}` },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "hashicorp/http-echo:1.0.0", ports: [{ name: "http", containerPort: 8080 }] }] } },
      },
    } as KubeObject,
    { apiVersion: "v1", kind: "Service", metadata: { name: `svc${i}` }, spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: 8080 }] } } as KubeObject,
    {
      apiVersion: "msvcbench.io/v1alpha1",
      kind: "ProxyService",
      metadata: { name: `ps${i}` },
      spec: { serviceName: `svc${i}`, port: 80, resources: { requests: { cpu: "10m", memory: "32Mi" } } },
    } as KubeObject,
  ];
}

/**
 * Runs the chaos against `cluster` (already up, the CRD and ClusterRole installed): two operator replicas under
 * the shipped RBAC with a short lease, `proxyServices` ProxyServices with 3-replica applications, then
 * `faults` faults chosen by the seeded generator, one after the other with a short random pause, each with
 * its own recovery (a node comes back, an annotation goes). Returns the report; throws only when the setup fails.
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport & { timelines: EndpointTimeline[]; explain: (i: number, longerThanMs: number) => string }> {
  // The simulator's seeded generator, so a failing run can be replayed with its seed.
  const generator = new Rng(opts.seed);
  const rnd = (): number => generator.uniform();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ns = (await createTestNamespace("chaos", opts.cluster.kubeConfig())).name;
  const kc = await operatorKubeconfig(ns);
  const operators: OperatorProcess[] = [];
  let operatorExits = 0;
  let stopping = false;
  // As the kubelet does for a Deployment's pod (restartPolicy Always): a replica that exits on its own, as the
  // operator does when it loses its lease, is started again. Without this, two API server restarts longer than
  // the renew deadline leave the chaos with no operator at all, which no cluster would.
  const startReplica = async (): Promise<void> => {
    for (;;) {
      try {
        const op = await startOperator(kc.file, ns, LEASE);
        operators.push(op);
        op.child.once("exit", (code) => {
          if (stopping || !operators.includes(op)) return;
          operators.splice(operators.indexOf(op), 1);
          operatorExits += 1;
          opts.log(`  an operator replica exited with ${code} (log: ${op.logFile}); starting it again`);
          void startReplica();
        });
        return;
      } catch (err) {
        if (stopping) return;
        opts.log(`  an operator replica failed to start, trying again: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
        await pause(1000); // pacing of the restarts, as the kubelet's back-off
      }
    }
  };
  await startReplica();
  await startReplica();
  const deadNodes = new Set<string>();
  const timelines: EndpointTimeline[] = [];
  const targets: EndpointTimeline[] = [];
  const apiServerAway: [number, number][] = [];
  const nodeDead: [number, number][] = [];
  const counts: Record<string, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));
  const started = Date.now();
  try {
    for (let i = 0; i < opts.proxyServices; i++) for (const obj of application(i)) await apply(obj, ns);
    await waitFor(
      async () => {
        for (let i = 0; i < opts.proxyServices; i++) if (!isReady(await getPs(ns, `ps${i}`))) return false;
        return true;
      },
      { timeout: 180_000, interval: 1000, description: "every ProxyService Ready" },
    );
    for (let i = 0; i < opts.proxyServices; i++) {
      timelines.push(await EndpointTimeline.start(ns, `svc${i}`, `ps${i}`, (n) => deadNodes.has(n)));
      // The application's own Service (the target the operator made): what callers would have without a ProxyService.
      targets.push(await EndpointTimeline.start(ns, `svc${i}-ep`, `ps${i}`, (n) => deadNodes.has(n)));
    }
    const from = Date.now();
    const nodes = (await admin.request<{ items: KubeObject[] }>("GET", "/api/v1/nodes")).items.map((n) => n.metadata.name);
    const proxyPods = async (): Promise<KubeObject[]> =>
      (await admin.request<{ items: KubeObject[] }>("GET", `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: "app.kubernetes.io/managed-by=proxy-service-operator" } })).items.filter(
        (p) => p.metadata.deletionTimestamp === undefined,
      );
    const somePod = async (): Promise<KubeObject | undefined> => {
      const pods = await proxyPods();
      return pods.length ? pick(pods) : undefined;
    };
    const kubectl = (...args: string[]): Promise<unknown> => opts.cluster.run("kubectl", ...args);

    const inject: Record<FaultKind, () => Promise<void>> = {
      proxyKill: async () => {
        const pod = await somePod();
        if (pod) await admin.request("DELETE", `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`, { body: { gracePeriodSeconds: 0 } }).catch(() => undefined);
      },
      proxyEvict: async () => {
        const pod = await somePod();
        if (!pod) return;
        await admin
          .request("POST", `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/eviction`, {
            body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod.metadata.name, namespace: ns } },
          })
          .catch(() => undefined); // 429: the PodDisruptionBudget said no, as it should
      },
      proxyUnready: async () => {
        const pod = await somePod();
        if (!pod) return;
        await mergePatch("v1", "Pod", ns, pod.metadata.name, { metadata: { annotations: { [ANNOTATION("unready")]: "true" } } }).catch(() => undefined);
        await pause(1000 + rnd() * 6000);
        await mergePatch("v1", "Pod", ns, pod.metadata.name, { metadata: { annotations: { [ANNOTATION("unready")]: null } } }).catch(() => undefined);
      },
      proxyCrash: async () => {
        const pod = await somePod();
        if (pod) await mergePatch("v1", "Pod", ns, pod.metadata.name, { metadata: { annotations: { [ANNOTATION("crashes")]: "2" } } }).catch(() => undefined);
      },
      nodeDrain: async () => {
        const node = pick(nodes.filter((n) => !deadNodes.has(n)));
        await kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s");
        await kubectl("uncordon", node);
      },
      nodeFailure: async () => {
        const alive = nodes.filter((n) => !deadNodes.has(n));
        if (alive.length < 2) return;
        const node = pick(alive);
        const stoppedAt = Date.now();
        await opts.cluster.run("node", "stop", node);
        deadNodes.add(node);
        for (const t of [...timelines, ...targets]) t.refresh();
        await pause(5000 + rnd() * 20_000);
        await opts.cluster.run("node", "start", node);
        deadNodes.delete(node);
        nodeDead.push([stoppedAt, Date.now()]);
        for (const t of [...timelines, ...targets]) t.refresh();
      },
      istiodRestart: async () => {
        await opts.cluster.run("restart", "istiod");
      },
      apiserverRestart: async () => {
        const start = Date.now();
        await opts.cluster.run("restart", "apiserver");
        apiServerAway.push([start, Date.now()]);
        opts.log(`  the API server answered again after ${((Date.now() - start) / 1000).toFixed(1)} s`);
        // In a cluster the controller manager runs with leader election, loses its lease in such an outage, exits
        // and is restarted with fresh caches. The local control plane runs it without (one replica), and after
        // API server restarts its ReplicaSet controller refused to sync for good ("read version: 1637 is not as
        // new as written version: 1731 for group resource pods", Kubernetes 1.36): Deployments without pods,
        // for every chaos run of session 8 that ended with a ProxyService never Ready again. Do what the kubelet would.
        await opts.cluster.run("restart", "controller-manager");
      },
      operatorKill: async () => {
        if (operators.length === 0) return;
        const victim = pick(operators);
        operators.splice(operators.indexOf(victim), 1);
        await victim.stop("SIGKILL");
        await startReplica();
      },
      specRollout: async () => {
        const i = Math.floor(rnd() * opts.proxyServices);
        const cpu = rnd() < 0.5 ? "10m" : "11m";
        await mergePatch("msvcbench.io/v1alpha1", "ProxyService", ns, `ps${i}`, { spec: { resources: { requests: { cpu } } } }).catch(() => undefined);
      },
    };

    // Two lanes of faults at once, so faults overlap as they do in a real incident; at most one node is down
    // or drained at a time (two of three nodes gone at once would take both proxies of a ProxyService, which
    // no spread of two can survive).
    let next = 0;
    let nodeBusy = false;
    // One API server restart at a time too: two lanes restarting it at once made the local control plane's
    // controller manager stop creating a Deployment's pods for minutes (session 8), which no real cluster
    // with one API server restarting would show.
    let apiServerBusy = false;
    const lane = async (): Promise<void> => {
      while (next < opts.faults) {
        const f = next++;
        let kind = pick(FAULT_KINDS);
        if ((kind === "nodeDrain" || kind === "nodeFailure") && nodeBusy) kind = "proxyKill";
        if (kind === "apiserverRestart" && apiServerBusy) kind = "proxyKill";
        const isNodeFault = kind === "nodeDrain" || kind === "nodeFailure";
        const isApiServerFault = kind === "apiserverRestart";
        if (isNodeFault) nodeBusy = true;
        if (isApiServerFault) apiServerBusy = true;
        counts[kind]! += 1;
        opts.log(`fault ${f + 1}/${opts.faults}: ${kind} (+${Math.round((Date.now() - from) / 1000)} s)`);
        await inject[kind]()
          .catch((err: unknown) => opts.log(`  ${kind} failed: ${err instanceof Error ? err.message : String(err)}`))
          .finally(() => {
            if (isNodeFault) nodeBusy = false;
            if (isApiServerFault) apiServerBusy = false;
          });
        // Pacing of the injection (not a wait for a state): a random pause between two faults of a lane.
        await pause(rnd() * 2000);
      }
    };
    await Promise.all([lane(), lane()]);
    // Let the last faults play out, so each Service is seen recovered.
    await waitFor(
      async () => {
        const notReady: string[] = [];
        for (let i = 0; i < opts.proxyServices; i++) {
          const ps = await getPs(ns, `ps${i}`).catch(() => undefined);
          if (!isReady(ps)) {
            // What the API server holds, beside what the operator reported: its pods and its Deployment's status.
            const pods = (await proxyPods()).filter((p) => p.metadata.name.startsWith(`ps${i}-`)).map((p) => `${p.metadata.name} ${JSON.stringify((p as { status?: { phase?: string } }).status?.phase)}`);
            const deployment = await admin.request<KubeObject & { status?: unknown }>("GET", `/apis/apps/v1/namespaces/${ns}/deployments/ps${i}`).catch((err: unknown) => String(err));
            notReady.push(
              `ps${i}: ${JSON.stringify(ps?.status?.conditions?.filter((c) => c.type === "Ready" || c.type === "ProxiesRolledOut") ?? "not found")}\n  pods: ${pods.join(", ") || "none"}\n  Deployment status: ${JSON.stringify(typeof deployment === "string" ? deployment : deployment.status)}`,
            );
          }
        }
        // Thrown so that a timeout names the ProxyServices still not Ready and why.
        if (notReady.length > 0) throw new Error(`${notReady.length} not Ready (operator replicas running: ${operators.length}):\n${notReady.join("\n")}`);
        return true;
      },
      // A proxy crashed many times waits out the kubelet's back-off, up to its 5-minute cap, and a Service that fell
      // back often waits out its hold, up to MAX_HOLD_MS (5 min).
      { timeout: 420_000, interval: 1000, description: "every ProxyService Ready again after the chaos" },
    );
    const until = Date.now();
    return {
      seed: opts.seed,
      faults: counts,
      operatorExits,
      durationSeconds: Math.round((until - from) / 1000),
      services: timelines.map((t, i) => ({
        service: `svc${i}`,
        longestWithoutServingMs: t.longestWithoutServing(from),
        ...worseSplit(t.worseThan(targets[i]!, from, until), apiServerAway, nodeDead),
        fewestServing: t.fewestServing(from),
        ...t.switches(from),
        throughProxies: Number(t.throughProxies(from, until).toFixed(3)),
      })),
      timelines,
      explain: (i, longerThanMs) => explainStretches(timelines[i]!, targets[i]!, from, until, longerThanMs, apiServerAway, nodeDead),
    };
  } finally {
    stopping = true;
    for (const t of [...timelines, ...targets]) t.stop();
    for (const n of deadNodes) await opts.cluster.run("node", "start", n);
    for (const op of operators) await op.stop("SIGTERM");
    await kc.cleanup();
    opts.log(`chaos took ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

/** After the API server answers again, the controllers of the cluster and ours relist and catch up for this long. */
export const RESTART_AFTERMATH_MS = 15_000;

/** The window of a fault that contains `t`, if any. */
const windowAt = (windows: readonly [number, number][], t: number, tailMs = 0): [number, number] | undefined => windows.find(([a, b]) => t >= a && t <= b + tailMs);

/** How much of [start, end] the API server was up. */
function upTime(start: number, end: number, away: readonly [number, number][]): number {
  let down = 0;
  for (const [a, b] of away) down += Math.max(0, Math.min(end, b) - Math.max(start, a));
  return Math.max(0, end - start - down);
}

/**
 * The longest stretch of each kind, without the time the API server was away: begun while a node was dead,
 * begun during an API server restart or its aftermath, ordinary.
 */
function worseSplit(
  stretches: readonly [number, number][],
  away: readonly [number, number][],
  dead: readonly [number, number][],
): { longestWorseThanWithoutMs: number; longestWorseAfterApiServerRestartMs: number; longestWorseWithDeadNodeMs: number } {
  let ordinary = 0;
  let afterRestart = 0;
  let withDeadNode = 0;
  for (const [start, end] of stretches) {
    const up = upTime(start, end, away);
    // A dead node first: its proxy reads Ready whatever else happens, so no operator could see this one begin.
    if (windowAt(dead, start)) withDeadNode = Math.max(withDeadNode, up);
    else if (windowAt(away, start, RESTART_AFTERMATH_MS)) afterRestart = Math.max(afterRestart, up);
    else ordinary = Math.max(ordinary, up);
  }
  return { longestWorseThanWithoutMs: ordinary, longestWorseAfterApiServerRestartMs: afterRestart, longestWorseWithDeadNodeMs: withDeadNode };
}

/** Both timelines around each stretch longer than `longerThanMs`: what the Service and the application's own Service listed. */
function explainStretches(
  service: EndpointTimeline,
  target: EndpointTimeline,
  from: number,
  until: number,
  longerThanMs: number,
  away: readonly [number, number][],
  dead: readonly [number, number][],
): string {
  // Seconds since the first fault, as the fault log prints them.
  const at = (t: number): string => `+${((t - from) / 1000).toFixed(1)} s`;
  const around = (tl: EndpointTimeline, a: number, b: number): string =>
    tl.moments
      .filter((m) => m.at >= a - 5000 && m.at <= b + 2000)
      .map((m) => `    ${at(m.at)}: ${m.proxies} proxy, ${m.app} app`)
      .join("\n");
  return service
    .worseThan(target, from, until)
    .filter(([a, b]) => b - a > longerThanMs)
    .map(([a, b]) => {
      const near = (ws: readonly [number, number][]): string => ws.filter(([s, e]) => e >= a - 30_000 && s <= b).map(([s, e]) => `${at(s)} to ${at(e)}`).join(", ") || "none";
      return [
        `worse from ${at(a)} to ${at(b)} (${b - a} ms); API server away: ${near(away)}; a node dead: ${near(dead)}`,
        `  the Service:\n${around(service, a, b)}`,
        `  the application's own Service:\n${around(target, a, b)}`,
      ].join("\n");
    })
    .join("\n");
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
