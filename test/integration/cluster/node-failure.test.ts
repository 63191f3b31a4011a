import * as k8s from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { adminKubeConfig, useTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { endpointsOf, faultAnnotation, isPodReady, nodeReady, readPod, sample, setNodeKubelet } from "./kubelet-faults.js";

// Issue 16, point 4: a node whose kubelet stops goes as in a real cluster, through the real
// node-lifecycle and taint-eviction controllers with the local cluster's short grace periods: the
// Node turns Unknown and tainted, its pods NotReady, then evicted (Terminating, since no kubelet
// confirms), replaced on the other nodes; the node comes back and its kubelet finishes the deletions.

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
const ns = useTestNamespace("lc-node", kc);
let stoppedNode: string | undefined;

afterAll(async () => {
  if (stoppedNode === undefined) return;
  // Leave the node as the next test file expects it: Ready and untainted.
  await setNodeKubelet("start", stoppedNode);
  await waitFor(async () => {
    const node = await core.readNode({ name: stoppedNode! });
    return nodeReady(node) === "True" && !(node.spec?.taints ?? []).some((t) => t.key.startsWith("node.kubernetes.io/"));
  }, { timeout: 60_000, description: `node ${stoppedNode} Ready and untainted` });
});

describe("a node whose kubelet stops", () => {
  it("turns Unknown, its pods NotReady then evicted and replaced elsewhere; started again, it finishes the deletions", async () => {
    await core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" }, annotations: { [faultAnnotation.stopSeconds]: "3" } },
            spec: {
              containers: [{ name: "web", image: "registry.example/web:1", ports: [{ containerPort: 8080 }] }],
              // One pod per node, so that a node's failure takes one of the two.
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    { labelSelector: { matchLabels: { app: "web" } }, topologyKey: "kubernetes.io/hostname" },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const pods = await waitFor(async () => {
      const list = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=web" });
      return list.items.length === 2 && list.items.every(isPodReady) ? list.items : undefined;
    }, { timeout: 60_000, description: "2 Ready pods of web" });
    const victim = pods[0]!;
    const survivor = pods[1]!;
    const node = victim.spec!.nodeName!;
    // The default tolerations the API server's DefaultTolerationSeconds plugin gave the pod.
    expect(victim.spec?.tolerations).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: "node.kubernetes.io/unreachable", effect: "NoExecute", tolerationSeconds: 5 })]),
    );

    const watch = sample(async () => ({
      node: await core.readNode({ name: node }),
      victim: await readPod(core, ns.name, victim.metadata!.name!),
      endpoints: await endpointsOf(discovery, ns.name, "web"),
    }));
    const stopped = Date.now();
    stoppedNode = node;
    await setNodeKubelet("stop", node);

    const unknownAt = await waitFor(async () => (nodeReady(await core.readNode({ name: node })) === "Unknown" ? Date.now() : undefined), {
      timeout: 60_000,
      interval: 100,
      description: `node ${node} Unknown`,
    });
    // The controller adds the two taints in separate passes (NoSchedule by condition, NoExecute from its
    // rate-limited tainting queue), in either order.
    const tainted = await waitFor(async () => {
      const n = await core.readNode({ name: node });
      const effects = (n.spec?.taints ?? []).filter((t) => t.key === "node.kubernetes.io/unreachable").map((t) => t.effect);
      return effects.includes("NoExecute") && effects.includes("NoSchedule") ? n : undefined;
    }, { timeout: 10_000, interval: 100, description: `node ${node} tainted unreachable, NoSchedule and NoExecute` });
    expect(tainted.spec?.taints).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }),
        expect.objectContaining({ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }),
      ]),
    );
    const notReadyAt = await waitFor(async () => {
      const p = await readPod(core, ns.name, victim.metadata!.name!);
      return p && !isPodReady(p) ? Date.now() : undefined;
    }, { timeout: 30_000, interval: 100, description: "the victim pod marked NotReady" });
    const evictedAt = await waitFor(async () => {
      const p = await readPod(core, ns.name, victim.metadata!.name!);
      return p?.metadata?.deletionTimestamp ? Date.now() : undefined;
    }, { timeout: 60_000, interval: 100, description: "the victim pod evicted" });
    const replacement = await waitFor(async () => {
      const list = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=web" });
      return list.items.find((p) => !p.metadata?.deletionTimestamp && p.metadata!.uid !== survivor.metadata!.uid && isPodReady(p));
    }, { timeout: 60_000, interval: 100, description: "a Ready replacement" });
    const replacedAt = Date.now();
    expect(replacement.spec?.nodeName).not.toBe(node);
    // No kubelet confirms the deletion: the evicted pod stays, Terminating, while the node is down.
    const terminating = await readPod(core, ns.name, victim.metadata!.name!);
    expect(terminating?.metadata?.deletionTimestamp).toBeDefined();
    console.log(
      `node stop: Unknown after ${unknownAt - stopped} ms, pod NotReady after ${notReadyAt - stopped} ms, ` +
        `evicted after ${evictedAt - stopped} ms, replacement Ready after ${replacedAt - stopped} ms`,
    );
    // The local cluster's timings: grace period 20 s, tolerations 5 s (docs/local-cluster.md).
    expect(unknownAt - stopped).toBeGreaterThanOrEqual(18_000);
    expect(evictedAt - unknownAt).toBeGreaterThanOrEqual(4_000);

    // While the node was gone the survivor stayed Ready, and the victim's endpoint turned not ready
    // no later than the node turned Unknown.
    expect(isPodReady(await core.readNamespacedPod({ name: survivor.metadata!.name!, namespace: ns.name }))).toBe(true);

    const started = Date.now();
    await setNodeKubelet("start", node);
    await waitFor(async () => (await readPod(core, ns.name, victim.metadata!.name!)) === undefined, {
      timeout: 30_000,
      interval: 100,
      description: "the evicted pod deleted once the kubelet is back",
    });
    const back = await waitFor(async () => {
      const n = await core.readNode({ name: node });
      // No taint of the node-lifecycle controller left (unreachable, or not-ready on the way back), so
      // that the next test file finds the cluster as `hack/local-cluster.sh status` wants it.
      return nodeReady(n) === "True" && !(n.spec?.taints ?? []).some((t) => t.key.startsWith("node.kubernetes.io/")) ? n : undefined;
    }, { timeout: 30_000, interval: 100, description: `node ${node} Ready and untainted` });
    expect(back.metadata?.annotations?.[faultAnnotation.kubeletStopped]).toBeUndefined();
    console.log(`node start: evicted pod gone and node Ready after ${Date.now() - started} ms`);
    stoppedNode = undefined;
    await watch.stop();

    // Until the node turned Unknown nothing changed for the victim; from then it was never listed ready.
    const seen = watch.samples.filter((s) => s.value.victim !== undefined);
    const firstUnknown = seen.find((s) => nodeReady(s.value.node) === "Unknown")!;
    expect(seen.filter((s) => s.at < stopped).every((s) => isPodReady(s.value.victim!))).toBe(true);
    // (the endpointslice controller follows the pod within moments: 2 s of slack)
    const afterMarked = seen.filter((s) => s.at >= notReadyAt + 2_000);
    expect(afterMarked.length).toBeGreaterThan(0);
    for (const s of afterMarked) {
      const ep = s.value.endpoints.find((e) => e.targetRef?.uid === victim.metadata!.uid);
      expect(ep?.conditions?.ready ?? false).toBe(false);
    }
    expect(firstUnknown.at).toBeGreaterThanOrEqual(stopped);
  });
});
