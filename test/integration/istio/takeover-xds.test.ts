import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOperator } from "../operator/harness.js";
import { apply, deploySampleApp, get, mergePatch, readYaml, remove, repoRoot, waitReady } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { createCaller, enableInjection, healthy, isReadyPod, pods, watchEds, type EdsUpdate } from "./support.js";

// Issue 9, 4.3: takeover and restore as the callers' proxies see them. An xDS stream connected as the
// caller's sidecar watches the EDS of its cluster for sn0 while the ProxyService is created and deleted:
// it must never show zero healthy endpoints, and must end at the proxy pods, then at the app's pods.
// The time until the caller's EDS lists only the proxies is set beside the same time for a plain
// selector change of a Service (the floor), printed, and written to bench/results/istio-takeover-xds.json
// with RECORD_RESULTS=1.

const ips = (u: EdsUpdate): string[] => healthy(u).map((a) => a.split(":")[0]!).sort();
const readyIps = async (ns: string, selector: string): Promise<string[]> =>
  (await pods(ns, selector)).filter(isReadyPod).map((p) => p.status!.podIP!).sort();

/** The fewest healthy endpoints after `from`, and the longest time an update with that few stayed current. */
function fewest(updates: EdsUpdate[], from: number, until: number): { fewest: number; longestMs: number; healthyPerUpdate: number[] } {
  const window = updates.filter((u) => u.at >= from);
  const before = updates.filter((u) => u.at < from).at(-1);
  const seq = before ? [{ ...before, at: from }, ...window] : window;
  const least = Math.min(...seq.map((u) => healthy(u).length));
  let longestMs = 0;
  seq.forEach((u, i) => {
    if (healthy(u).length === least) longestMs = Math.max(longestMs, (seq[i + 1]?.at ?? until) - u.at);
  });
  return { fewest: least, longestMs, healthyPerUpdate: seq.filter((u) => u.at <= until).map((u) => healthy(u).length) };
}

describe("takeover and restore in the caller's EDS from the real istiod", () => {
  const h = useOperator("istio-eds");
  let caller = "";
  let watch: Awaited<ReturnType<typeof watchEds>> | undefined;
  const results: Record<string, unknown> = {};

  beforeAll(async () => {
    await enableInjection(h.ns);
    await deploySampleApp(h.ns);
    caller = await createCaller(h.ns);
    await waitFor(async () => (await readyIps(h.ns, "app=s0")).length === 10, { timeout: 90_000, description: "10 Ready s0 pods" });
  });
  afterAll(async () => {
    await watch?.stop();
  });

  const cluster = (svc: string): string => `outbound|80||${svc}.${h.ns}.svc.cluster.local`;
  const last = (): EdsUpdate => watch!.updates.at(-1)!;

  it("while the ProxyService takes sn0 over, the caller never has zero healthy endpoints and ends with exactly the proxy pods", async () => {
    watch = await watchEds(caller, cluster("sn0"));
    const apps = await readyIps(h.ns, "app=s0");
    await waitFor(() => JSON.stringify(ips(last())) === JSON.stringify(apps), { description: "the caller's EDS lists the app pods" });
    const start = Date.now();
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, h.ns);
    await waitReady(h.ns, "ps-s0", 90_000);
    const deployment = await get<{ spec: { selector: { matchLabels: Record<string, string> } } }>("apps/v1", "Deployment", h.ns, "ps-s0");
    const selector = Object.entries(deployment!.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
    const proxies = await readyIps(h.ns, selector);
    const done = await waitFor(() => {
      const u = last();
      return JSON.stringify(ips(u)) === JSON.stringify(proxies) ? u : undefined;
    }, { timeout: 30_000, description: `the caller's EDS lists only the proxies ${proxies.join(", ")}` });
    const f = fewest(watch.updates, start, done.at);
    results.takeover = { msUntilProxyOnly: done.at - start, ...f };
    expect(f.fewest).toBeGreaterThan(0);
  });

  it("while the ProxyService is deleted, the caller never has zero healthy endpoints and ends with exactly the app pods", async () => {
    const apps = await readyIps(h.ns, "app=s0");
    const start = Date.now();
    await remove("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0");
    const done = await waitFor(() => {
      const u = last();
      return JSON.stringify(ips(u)) === JSON.stringify(apps) ? u : undefined;
    }, { timeout: 60_000, description: "the caller's EDS lists the app pods again" });
    const f = fewest(watch!.updates, start, done.at);
    results.restore = { msUntilAppOnly: done.at - start, ...f };
    expect(f.fewest).toBeGreaterThan(0);
  });

  it("a plain selector change of a Service reaches the caller's EDS (the floor the takeover is compared with)", async () => {
    // A second set of pods, and a Service that first selects the app, then those.
    const app = readYaml("example/sample-app.yaml").find((o) => o.kind === "Deployment")! as unknown as {
      metadata: { name: string; labels?: Record<string, string> };
      spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
    };
    const alt = { ...app, metadata: { name: "alt", labels: { app: "alt" } }, spec: { ...app.spec, replicas: 2, selector: { matchLabels: { app: "alt" } }, template: { ...app.spec.template, metadata: { labels: { app: "alt" } } } } };
    await apply(alt as never, h.ns);
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "floor" }, spec: { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: "http" }] } } as never, h.ns);
    const altIps = await waitFor(async () => {
      const x = await readyIps(h.ns, "app=alt");
      return x.length === 2 ? x : undefined;
    }, { timeout: 60_000, description: "2 Ready alt pods" });
    const floorWatch = await watchEds(caller, cluster("floor"));
    try {
      const apps = await readyIps(h.ns, "app=s0");
      const lastF = (): EdsUpdate => floorWatch.updates.at(-1)!;
      await waitFor(() => JSON.stringify(ips(lastF())) === JSON.stringify(apps), { description: "floor's EDS lists the app pods" });
      const start = Date.now();
      await mergePatch("v1", "Service", h.ns, "floor", { spec: { selector: { app: "alt" } } });
      const done = await waitFor(() => {
        const u = lastF();
        return JSON.stringify(ips(u)) === JSON.stringify(altIps) ? u : undefined;
      }, { timeout: 30_000, description: "floor's EDS lists only the alt pods" });
      results.floor = { msUntilNewPodsOnly: done.at - start, ...fewest(floorWatch.updates, start, done.at) };
    } finally {
      await floorWatch.stop();
    }
    const takeover = results.takeover as { msUntilProxyOnly: number } | undefined;
    const floor = results.floor as { msUntilNewPodsOnly: number };
    expect(floor.msUntilNewPodsOnly).toBeGreaterThan(0);
    if (takeover) results.ratio = Number((takeover.msUntilProxyOnly / floor.msUntilNewPodsOnly).toFixed(2));
    const report = JSON.stringify({
      what: "caller's EDS for sn0 from the real istiod (xDS stream as the caller's sidecar): takeover, restore, and a plain selector change",
      command: "RECORD_RESULTS=1 npx vitest run --project integration test/integration/istio/takeover-xds.test.ts",
      date: new Date().toISOString(),
      ...results,
    }, null, 2) + "\n";
    console.info(report);
    // The committed numbers change only when asked for, so a test run leaves the work tree clean.
    if (process.env.RECORD_RESULTS === "1") {
      const out = path.join(repoRoot, "bench/results");
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, "istio-takeover-xds.json"), report);
    }
  });
});
