import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { faultAnnotation, isPodReady, readPod } from "./kubelet-faults.js";
import { isAlive, PrivateCluster } from "./local-cluster.js";

// Acceptance 6 of issue 2: `restart apiserver` while a watch is open. The watch ends, the cluster
// is healthy again on the same state, the data is intact, and a new watch sees new events. The
// other components can be restarted the same way. It runs on a private cluster, so that the shared
// one (which other test runs may be using) is never disturbed.

const cluster = new PrivateCluster();
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let ns: Awaited<ReturnType<typeof createTestNamespace>>;

beforeAll(async () => {
  await cluster.up();
  kc = cluster.kubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  ns = await createTestNamespace("lc-restart", kc);
});
afterAll(async () => {
  await cluster.destroy();
});

interface OpenWatch {
  events: { type: string; name: string }[];
  /** Whether the server ended the watch (its done callback ran). */
  hasEnded: () => boolean;
  abort: () => void;
}

async function watchConfigMaps(resourceVersion?: string): Promise<OpenWatch> {
  const events: { type: string; name: string }[] = [];
  let ended = false;
  const controller = await new k8s.Watch(kc).watch(
    `/api/v1/namespaces/${ns.name}/configmaps`,
    { resourceVersion },
    (type, obj: k8s.V1ConfigMap) => events.push({ type, name: obj.metadata?.name ?? "" }),
    () => (ended = true),
  );
  return { events, hasEnded: () => ended, abort: () => controller.abort() };
}

describe("restarting a component", () => {
  it("restart apiserver while a watch is open: healthy again, data intact, new watches work", async () => {
    const before = await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: "before" }, data: { answer: "42" } },
    });
    const watch = await watchConfigMaps(before.metadata!.resourceVersion);
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: "seen" } } });
    await waitFor(() => watch.events.some((e) => e.name === "seen"), { description: "the watch to see 'seen'" });
    const oldPid = cluster.pids().apiserver!;

    const restart = await cluster.run("restart", "apiserver");
    expect(restart.code, restart.stderr).toBe(0);
    expect(isAlive(oldPid)).toBe(false);
    expect(cluster.pids().apiserver).not.toBe(oldPid);

    // The open watch was cut when the process died.
    await waitFor(() => watch.hasEnded(), {
      timeout: 30_000,
      description: "the old watch to end",
    });

    const status = await cluster.run("status");
    expect(status.code, status.stdout + status.stderr).toBe(0);

    const after = await core.readNamespacedConfigMap({ name: "before", namespace: ns.name });
    expect(after.metadata!.uid).toBe(before.metadata!.uid);
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    expect(after.data).toEqual({ answer: "42" });

    // A watch from before the restart's resourceVersion may be answered 410 Gone (the new watch
    // cache starts at the current revision), as on a real cluster: watch from a fresh list.
    const list = await core.listNamespacedConfigMap({ namespace: ns.name });
    expect(list.items.map((c) => c.metadata!.name)).toEqual(expect.arrayContaining(["before", "seen"]));
    const rewatch = await watchConfigMaps(list.metadata!.resourceVersion);
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: "after" } } });
    await waitFor(() => rewatch.events.some((e) => e.type === "ADDED" && e.name === "after"), {
      description: "the new watch to see 'after'",
    });
    rewatch.abort();
  });

  it.each(["etcd", "controller-manager", "scheduler", "kubelet-sim"])(
    "restart %s: it comes back on the same state and the cluster works",
    async (component) => {
      const oldPid = cluster.pids()[component]!;
      // restart's own limit is below the test's, so that a component that never gets ready is reported
      // with where it stood (its main goroutine) instead of a bare test timeout.
      const restart = await cluster.run("restart", "-timeout", "60s", component);
      expect(restart.code, restart.stderr).toBe(0);
      expect(isAlive(oldPid)).toBe(false);
      await waitFor(async () => (await cluster.run("status")).code === 0, {
        timeout: 60_000,
        description: `status 0 after restarting ${component}`,
      });
      // A new Deployment's pod is scheduled, runs and gets an IP: every component takes part.
      const name = `after-${component}`;
      await apps.createNamespacedDeployment({
        namespace: ns.name,
        body: {
          metadata: { name },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { containers: [{ name: "c", image: "registry.example/c:1" }] },
            },
          },
        },
      });
      const pod = await waitFor(async () => {
        const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: `app=${name}` });
        return pods.items.find((p) => p.status?.phase === "Running" && p.status.podIP);
      }, { timeout: 60_000, description: `a Running pod of ${name}` });
      expect(pod.spec?.nodeName).toMatch(/^local-node-/);
    },
    240_000,
  );

  it("restart kubelet-sim during a pod's graceful termination and a stopped node: both carry on (level-based)", async () => {
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: "slow-stop", annotations: { [faultAnnotation.stopSeconds]: "15" } },
        spec: { containers: [{ name: "c", image: "registry.example/c:1" }] },
      },
    });
    const slowStop = await waitFor(async () => {
      const p = await core.readNamespacedPod({ name: "slow-stop", namespace: ns.name });
      return isPodReady(p) ? p : undefined;
    }, {
      timeout: 60_000,
      description: "slow-stop Ready",
    });
    // The node to stop is one the pod does not run on: a stopped node's kubelet ends no termination.
    const nodes = ["local-node-1", "local-node-2", "local-node-3"].filter((n) => n !== slowStop.spec?.nodeName);
    const [running, stopped] = [nodes[0]!, nodes[1]!];
    const stop = await cluster.run("node", "stop", stopped);
    expect(stop.code, stop.stderr).toBe(0);
    const leases = kc.makeApiClient(k8s.CoordinationV1Api);
    const renewed = async (node: string) =>
      new Date((await leases.readNamespacedLease({ name: node, namespace: "kube-node-lease" })).spec!.renewTime!).getTime();
    const deleted = Date.now();
    await core.deleteNamespacedPod({ name: "slow-stop", namespace: ns.name });

    const restart = await cluster.run("restart", "-timeout", "60s", "kubelet-sim");
    expect(restart.code, restart.stderr).toBe(0);
    const stoppedAt = await renewed(stopped);
    const restarted = Date.now();
    if (restarted - deleted < 13_000) {
      // The restarted kubelet read the termination from the pod: still under way.
      const p = await readPod(core, ns.name, "slow-stop");
      expect(p?.metadata?.deletionTimestamp).toBeDefined();
      expect(isPodReady(p!)).toBe(true);
    }
    const gone = await waitFor(async () => ((await readPod(core, ns.name, "slow-stop")) === undefined ? Date.now() : undefined), {
      timeout: 40_000,
      interval: 100,
      description: "slow-stop gone",
    });
    // Whole seconds in deletionTimestamp: the restarted kubelet may end it up to a second early.
    expect(gone - deleted).toBeGreaterThanOrEqual(14_000);
    expect(gone - deleted).toBeLessThan(20_000);
    // The stopped node stayed stopped: the others renewed their Leases meanwhile, it did not.
    const othersBefore = await renewed(running);
    await waitFor(async () => (await renewed(running)) > othersBefore + 2_000, { timeout: 30_000, description: `${running} renewing` });
    expect(await renewed(stopped)).toBe(stoppedAt);
    const start = await cluster.run("node", "start", stopped);
    expect(start.code, start.stderr).toBe(0);
    await waitFor(async () => (await renewed(stopped)) > stoppedAt, { timeout: 30_000, description: `${stopped} renewing again` });
  }, 180_000);
});
