import * as k8s from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { adminKubeConfig, useTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { endpointsOf, faultAnnotation, isPodReady, readPod, sample } from "./kubelet-faults.js";
import { localCluster } from "./local-cluster.js";

// Issue 16, point 4: `kubectl drain` works against the local cluster: it cordons the node and evicts
// through the Eviction API, which honours PodDisruptionBudgets; the evicted pod stays Terminating
// (and serving) for its stop time while its replacement starts on another node.

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const policy = kc.makeApiClient(k8s.PolicyV1Api);
const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
const ns = useTestNamespace("lc-drain", kc);
const cordoned = new Set<string>();

afterAll(async () => {
  for (const node of cordoned) await localCluster("kubectl", "uncordon", node);
});

async function deployment(name: string, pdb: k8s.V1PodDisruptionBudgetSpec): Promise<k8s.V1Pod> {
  await core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  await policy.createNamespacedPodDisruptionBudget({
    namespace: ns.name,
    body: { metadata: { name }, spec: { ...pdb, selector: { matchLabels: { app: name } } } },
  });
  await apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name }, annotations: { [faultAnnotation.stopSeconds]: "5" } },
          spec: { containers: [{ name: "web", image: "registry.example/web:1", ports: [{ containerPort: 8080 }] }] },
        },
      },
    },
  });
  const pod = await waitFor(async () => {
    const list = await core.listNamespacedPod({ namespace: ns.name, labelSelector: `app=${name}` });
    return list.items.length === 1 && isPodReady(list.items[0]!) ? list.items[0] : undefined;
  }, { timeout: 60_000, description: `the pod of ${name} Ready` });
  // The disruption controller has counted it (otherwise the Eviction API refuses every eviction).
  await waitFor(async () => {
    const status = (await policy.readNamespacedPodDisruptionBudget({ name, namespace: ns.name })).status;
    return status?.currentHealthy === 1 && status.observedGeneration !== undefined;
  }, { timeout: 30_000, description: `PDB ${name} observed` });
  return pod;
}

function drain(node: string, app: string, timeout: string): Promise<{ code: number; stdout: string; stderr: string }> {
  cordoned.add(node);
  return localCluster("kubectl", "drain", node, "--pod-selector", `app=${app}`, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout", timeout);
}

describe("kubectl drain", () => {
  it("evicts a 1-replica Deployment's pod allowed by its PDB: it serves while it stops, the replacement starts elsewhere", async () => {
    const pod = await deployment("web", { maxUnavailable: 1 });
    const node = pod.spec!.nodeName!;
    const watch = sample(async () => ({
      old: await readPod(core, ns.name, pod.metadata!.name!),
      pods: (await core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=web" })).items,
      endpoints: await endpointsOf(discovery, ns.name, "web"),
    }));
    const started = Date.now();
    const result = await drain(node, "web", "60s");
    const drained = Date.now();
    await watch.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`pod/${pod.metadata!.name} evicted`);
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBe(true);
    expect(await readPod(core, ns.name, pod.metadata!.name!)).toBeUndefined();

    // drain waits for the deletion: the evicted pod went only after its 5 s stop time, serving until then.
    console.log(`kubectl drain took ${drained - started} ms`);
    expect(drained - started).toBeGreaterThanOrEqual(5_000);
    const terminating = watch.samples.filter((s) => s.value.old?.metadata?.deletionTimestamp);
    expect(terminating.length).toBeGreaterThan(10);
    expect(terminating.every((s) => isPodReady(s.value.old!) && s.value.old!.status?.phase === "Running")).toBe(true);
    // Meanwhile the replacement started on another node and was Ready before the old pod went.
    const both = terminating.find((s) =>
      s.value.pods.some((p) => p.metadata!.uid !== pod.metadata!.uid && isPodReady(p) && p.spec?.nodeName !== node),
    );
    expect(both, "a moment with the old pod terminating and the new one Ready elsewhere").toBeDefined();
    // ... and the Service always had an endpoint serving.
    expect(watch.samples.every((s) => s.value.endpoints.some((e) => e.conditions?.serving))).toBe(true);
  });

  it("does not evict a pod its PDB protects: the drain gives up and the pod keeps running", async () => {
    const pod = await deployment("guarded", { minAvailable: 1 });
    const node = pod.spec!.nodeName!;
    const result = await drain(node, "guarded", "8s");
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("disruption budget");
    const after = await readPod(core, ns.name, pod.metadata!.name!);
    expect(after?.metadata?.deletionTimestamp).toBeUndefined();
    expect(isPodReady(after!)).toBe(true);
    await localCluster("kubectl", "uncordon", node);
    cordoned.delete(node);
  });
});
