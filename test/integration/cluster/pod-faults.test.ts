import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { adminKubeConfig, useTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { annotatePod, endpointsOf, faultAnnotation, isPodReady, readPod, sample } from "./kubelet-faults.js";

// Issue 16, point 4: the simulated kubelet fails a pod as a real kubelet would, driven by annotations
// patched at runtime: a failing readiness probe, a crash loop, a graceful termination.

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
const ns = useTestNamespace("lc-faults", kc);

/** Creates a pod labelled app=<app> with one container, and a Service `app` over it. */
async function podWithService(name: string, annotations: Record<string, string> = {}): Promise<void> {
  await core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  await core.createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: { name, labels: { app: name }, annotations },
      spec: { containers: [{ name: "web", image: "registry.example/web:1", ports: [{ containerPort: 8080 }] }] },
    },
  });
}

async function pod(name: string): Promise<k8s.V1Pod> {
  return core.readNamespacedPod({ name, namespace: ns.name });
}

async function waitReadyEndpoint(name: string): Promise<void> {
  await waitFor(async () => (await endpointsOf(discovery, ns.name, name)).some((e) => e.conditions?.ready), {
    timeout: 60_000,
    interval: 50,
    description: `a ready endpoint of ${name}`,
  });
}

describe("a running pod's readiness, flipped by the unready annotation", () => {
  it("turns NotReady within about a second of the annotation, and Ready again once it is removed", async () => {
    await podWithService("flip");
    await waitReadyEndpoint("flip");

    const patched = Date.now();
    await annotatePod(core, ns.name, "flip", { [faultAnnotation.unready]: "true" });
    const notReady = await waitFor(async () => (!isPodReady(await pod("flip")) ? Date.now() : undefined), {
      timeout: 10_000,
      interval: 50,
      description: "pod flip NotReady",
    });
    await waitFor(async () => (await endpointsOf(discovery, ns.name, "flip")).every((e) => e.conditions?.ready === false), {
      timeout: 10_000,
      interval: 50,
      description: "flip's endpoint not ready",
    });
    const flipped = await pod("flip");
    expect(flipped.status?.phase).toBe("Running");
    expect(flipped.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0, state: { running: {} } });
    console.log(`unready annotation to Ready=False: ${notReady - patched} ms`);
    expect(notReady - patched).toBeLessThan(3_000);

    const removed = Date.now();
    await annotatePod(core, ns.name, "flip", { [faultAnnotation.unready]: null });
    const ready = await waitFor(async () => (isPodReady(await pod("flip")) ? Date.now() : undefined), {
      timeout: 10_000,
      interval: 50,
      description: "pod flip Ready again",
    });
    await waitReadyEndpoint("flip");
    console.log(`annotation removed to Ready=True: ${ready - removed} ms`);
    expect(ready - removed).toBeLessThan(3_000);
    expect((await pod("flip")).status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});

describe("a crash loop", () => {
  it("shows CrashLoopBackOff with the kubelet's doubling back-off, and runs again once the annotation is removed", async () => {
    await podWithService("crash");
    await podWithService("crash-twice");
    await waitReadyEndpoint("crash");
    await waitReadyEndpoint("crash-twice");
    await annotatePod(core, ns.name, "crash", { [faultAnnotation.crashLoop]: "true" });
    await annotatePod(core, ns.name, "crash-twice", { [faultAnnotation.crashes]: "2" });

    // The first crash is restarted at once and crashes again: back-off 10 s, then 20 s (the cluster's
    // base is the kubelet's 10 s unless `up -crash-loop-backoff` said otherwise).
    const first = await waitFor(async () => {
      const p = await pod("crash");
      return p.status?.containerStatuses?.[0]?.restartCount === 1 ? p : undefined;
    }, { timeout: 10_000, interval: 50, description: "crash restarted once" });
    const status = first.status!.containerStatuses![0]!;
    expect(isPodReady(first)).toBe(false);
    expect(first.status?.phase).toBe("Running");
    expect(status.ready).toBe(false);
    expect(status.state?.waiting?.reason).toBe("CrashLoopBackOff");
    expect(status.state?.waiting?.message).toMatch(/^back-off (\d+m)?\d+s restarting failed container=web pod=crash_/);
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 1, reason: "Error" });
    const base = backOffOf(status);
    expect((await endpointsOf(discovery, ns.name, "crash")).every((e) => e.conditions?.ready === false)).toBe(true);

    const second = await waitFor(async () => {
      const p = await pod("crash");
      return p.status?.containerStatuses?.[0]?.restartCount === 2 ? p : undefined;
    }, { timeout: base + 30_000, interval: 50, description: "crash restarted twice" });
    const secondStatus = second.status!.containerStatuses![0]!;
    expect(backOffOf(secondStatus)).toBe(2 * base);
    // The second restart came a whole back-off after the crash before it.
    const gap = Date.parse(String(secondStatus.lastState!.terminated!.startedAt)) - Date.parse(String(status.lastState!.terminated!.finishedAt));
    expect(gap).toBeGreaterThanOrEqual(base);
    expect(gap).toBeLessThan(base + 2_000);

    // crashes=2: after two restarts it runs, and is Ready.
    const recovered = await waitFor(async () => {
      const p = await pod("crash-twice");
      return isPodReady(p) && p.status?.containerStatuses?.[0]?.restartCount === 2 ? p : undefined;
    }, { timeout: base + 30_000, interval: 100, description: "crash-twice Ready after 2 restarts" });
    expect(recovered.status!.containerStatuses![0]!.state?.running).toBeDefined();
    expect(recovered.status!.containerStatuses![0]!.lastState?.terminated?.exitCode).toBe(1);
    await waitReadyEndpoint("crash-twice");

    // Removed during the back-off: the container starts at its end and stays up.
    const removed = Date.now();
    await annotatePod(core, ns.name, "crash", { [faultAnnotation.crashLoop]: null });
    const running = await waitFor(async () => {
      const p = await pod("crash");
      return isPodReady(p) ? p : undefined;
    }, { timeout: 2 * base + 30_000, interval: 100, description: "crash Ready after the annotation is removed" });
    expect(Date.now() - removed).toBeLessThan(2 * base + 5_000);
    expect(running.status!.containerStatuses![0]!.restartCount).toBe(3);
    await waitReadyEndpoint("crash");
  });
});

/** The back-off in ms that a CrashLoopBackOff message names ("back-off 1m20s restarting ..."). */
function backOffOf(status: k8s.V1ContainerStatus): number {
  const m = /^back-off (?:(\d+)m)?(\d+)s /.exec(status.state?.waiting?.message ?? "");
  if (!m) throw new Error(`no back-off in ${JSON.stringify(status.state)}`);
  return (Number(m[1] ?? 0) * 60 + Number(m[2])) * 1000;
}

describe("graceful termination", () => {
  it("keeps a deleted pod Terminating, Running and serving for its stop-seconds, then removes it", async () => {
    await podWithService("drain", { [faultAnnotation.stopSeconds]: "4" });
    await waitReadyEndpoint("drain");
    const before = await pod("drain");
    const watch = sample(async () => ({
      pod: await readPod(core, ns.name, "drain"),
      endpoint: (await endpointsOf(discovery, ns.name, "drain")).find((e) => e.targetRef?.uid === before.metadata!.uid),
    }));
    const deleted = Date.now();
    await core.deleteNamespacedPod({ name: "drain", namespace: ns.name });
    const goneAt = await waitFor(async () => ((await readPod(core, ns.name, "drain")) === undefined ? Date.now() : undefined), {
      timeout: 30_000,
      interval: 50,
      description: "pod drain gone",
    });
    await watch.stop();
    console.log(`deleted pod with stop-seconds 4 gone after ${goneAt - deleted} ms`);
    expect(goneAt - deleted).toBeGreaterThanOrEqual(4_000);
    expect(goneAt - deleted).toBeLessThan(8_000);
    const terminating = watch.samples.filter((s) => s.value.pod?.metadata?.deletionTimestamp);
    expect(terminating.length).toBeGreaterThan(10);
    for (const s of terminating) {
      expect(s.value.pod!.status?.phase).toBe("Running");
      expect(isPodReady(s.value.pod!)).toBe(true);
    }
    // The endpoint said serving and terminating meanwhile (the endpointslice controller's view of it).
    expect(terminating.some((s) => s.value.endpoint?.conditions?.serving === true && s.value.endpoint.conditions.terminating === true)).toBe(true);
    expect(terminating.every((s) => s.value.endpoint?.conditions?.serving !== false)).toBe(true);
  });

  it("keeps an Istio gateway pod Ready while pilot-agent drains: 5 s by default, its proxy.istio.io/config if set", async () => {
    const gateway = (name: string, annotations: Record<string, string>): k8s.V1Pod => ({
      metadata: {
        name,
        labels: { app: name, "sidecar.istio.io/inject": "true" },
        annotations: { "inject.istio.io/templates": "gateway", ...annotations },
      },
      spec: { containers: [{ name: "istio-proxy", image: "auto" }] },
    });
    await core.createNamespacedPod({ namespace: ns.name, body: gateway("gw-default", {}) });
    await core.createNamespacedPod({
      namespace: ns.name,
      body: gateway("gw-short", { "proxy.istio.io/config": "terminationDrainDuration: 2s\n" }),
    });
    for (const name of ["gw-default", "gw-short"]) {
      const p = await waitFor(async () => {
        const current = await pod(name);
        return isPodReady(current) ? current : undefined;
      }, { timeout: 60_000, description: `${name} Ready` });
      // The real injector made it: pilot-agent in router mode, its readiness probe on 15021.
      const proxy = p.spec!.containers.find((c) => c.name === "istio-proxy")!;
      expect(proxy.args).toContain("router");
      expect(proxy.readinessProbe?.httpGet?.port).toBe(15021);
    }
    const watches = ["gw-default", "gw-short"].map((name) => ({ name, watch: sample(() => readPod(core, ns.name, name)) }));
    const deleted = Date.now();
    await Promise.all(["gw-default", "gw-short"].map((name) => core.deleteNamespacedPod({ name, namespace: ns.name })));
    const gone: Record<string, number> = {};
    await Promise.all(
      ["gw-default", "gw-short"].map(async (name) => {
        gone[name] = await waitFor(async () => ((await readPod(core, ns.name, name)) === undefined ? Date.now() : undefined), {
          timeout: 30_000,
          interval: 50,
          description: `${name} gone`,
        });
      }),
    );
    console.log(`gateway pods gone after: default ${gone["gw-default"]! - deleted} ms, terminationDrainDuration 2s ${gone["gw-short"]! - deleted} ms`);
    expect(gone["gw-default"]! - deleted).toBeGreaterThanOrEqual(5_000);
    expect(gone["gw-default"]! - deleted).toBeLessThan(9_000);
    expect(gone["gw-short"]! - deleted).toBeGreaterThanOrEqual(2_000);
    expect(gone["gw-short"]! - deleted).toBeLessThan(5_000);
    for (const { name, watch } of watches) {
      await watch.stop();
      const terminating = watch.samples.filter((s) => s.value?.metadata?.deletionTimestamp);
      expect(terminating.length, name).toBeGreaterThan(5);
      expect(terminating.every((s) => isPodReady(s.value!)), `${name} Ready while it drains`).toBe(true);
    }
  });
});
