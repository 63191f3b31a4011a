import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { adminKubeConfig, useTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";

// Acceptance 1 of issue 2: pods come alive on the simulated nodes and the real endpointslice
// controller fills the Service's EndpointSlices from their IPs and readiness.

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
const ns = useTestNamespace("lc-eps", kc);

function podTemplate(annotations: Record<string, string> = {}): k8s.V1PodTemplateSpec {
  return {
    metadata: { labels: { app: "web" }, annotations },
    spec: { containers: [{ name: "web", image: "registry.example/web:1", ports: [{ containerPort: 8080 }] }] },
  };
}

/** The endpoints of the Service `web` across its EndpointSlices. */
async function endpoints(): Promise<k8s.V1Endpoint[]> {
  const slices = await discovery.listNamespacedEndpointSlice({
    namespace: ns.name,
    labelSelector: "kubernetes.io/service-name=web",
  });
  return slices.items.flatMap((s) => s.endpoints ?? []);
}

const readyIPs = (eps: k8s.V1Endpoint[]) => eps.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses);

describe("EndpointSlices of a Service over a Deployment", () => {
  it("lists 3 ready addresses with distinct pod IPs, then 5 after scaling, and an unready pod as not ready", async () => {
    await core.createNamespacedService({
      namespace: ns.name,
      body: {
        metadata: { name: "web" },
        spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: "web" },
        spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: podTemplate() },
      },
    });

    const three = await waitFor(async () => {
      const ips = readyIPs(await endpoints());
      return ips.length === 3 ? ips : undefined;
    }, { timeout: 60_000, description: "3 ready endpoints" });
    expect(new Set(three).size).toBe(3);
    for (const ip of three) expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);

    const deployment = await apps.readNamespacedDeployment({ name: "web", namespace: ns.name });
    deployment.spec!.replicas = 5;
    await apps.replaceNamespacedDeployment({ name: "web", namespace: ns.name, body: deployment });
    const five = await waitFor(async () => {
      const ips = readyIPs(await endpoints());
      return ips.length === 5 ? ips : undefined;
    }, { timeout: 60_000, description: "5 ready endpoints" });
    expect(new Set(five).size).toBe(5);
    expect(five).toEqual(expect.arrayContaining(three));

    // A pod the Service selects that stays Running but never Ready is listed, as not ready.
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: {
          name: "web-unready",
          labels: { app: "web" },
          annotations: { "local-cluster.msvcbench.io/unready": "true" },
        },
        spec: podTemplate().spec!,
      },
    });
    const unready = await waitFor(async () => {
      const pod = await core.readNamespacedPod({ name: "web-unready", namespace: ns.name });
      const ep = (await endpoints()).find((e) => e.targetRef?.name === "web-unready");
      return pod.status?.phase === "Running" && ep ? { pod, ep } : undefined;
    }, { timeout: 60_000, description: "the unready pod Running and listed" });
    expect(unready.ep.conditions?.ready).toBe(false);
    expect(unready.ep.addresses).toEqual([unready.pod.status!.podIP]);
    expect(five).not.toContain(unready.pod.status!.podIP);
    expect(readyIPs(await endpoints())).toHaveLength(5);
  });

  it("makes a pod annotated ready-after-seconds Running at once and Ready only after the delay", async () => {
    const created = Date.now();
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: "slow", annotations: { "local-cluster.msvcbench.io/ready-after-seconds": "3" } },
        spec: podTemplate().spec!,
      },
    });
    const ready = (p: k8s.V1Pod) => p.status?.conditions?.find((c) => c.type === "Ready")?.status;
    const running = await waitFor(async () => {
      const pod = await core.readNamespacedPod({ name: "slow", namespace: ns.name });
      return pod.status?.phase === "Running" ? pod : undefined;
    }, { timeout: 30_000, description: "pod slow Running" });
    if (Date.now() - created < 2_000) expect(ready(running)).toBe("False");
    const readyPod = await waitFor(async () => {
      const pod = await core.readNamespacedPod({ name: "slow", namespace: ns.name });
      return ready(pod) === "True" ? pod : undefined;
    }, { timeout: 30_000, description: "pod slow Ready" });
    const startedAt = new Date(readyPod.status!.startTime!).getTime();
    const readyAt = new Date(readyPod.status!.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime!).getTime();
    expect(readyAt - startedAt).toBeGreaterThanOrEqual(3_000);
  });

  it("removes a deleted pod as a kubelet would, and its address from the EndpointSlice", async () => {
    const [ip] = readyIPs(await endpoints());
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=web" });
    const victim = pods.items.find((p) => p.status?.podIP === ip)!;
    await core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace: ns.name });
    await waitFor(async () => {
      try {
        await core.readNamespacedPod({ name: victim.metadata!.name!, namespace: ns.name });
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, { timeout: 30_000, description: `pod ${victim.metadata!.name} gone` });
    await waitFor(async () => !(await endpoints()).some((e) => e.targetRef?.uid === victim.metadata!.uid), {
      timeout: 30_000,
      description: "the deleted pod's endpoint gone",
    });
  });
});
