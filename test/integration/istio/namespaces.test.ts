import { beforeAll, describe, expect, it } from "vitest";
import { useOperator } from "../operator/harness.js";
import { apply, currentAdminKubeConfig, deploySampleApp, readYaml, waitReady } from "../operator/support.js";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { analyze, createCaller, enableInjection, isReadyPod, pods, trace } from "./support.js";

// Issue 9, 4.7 and 4.8: a caller in another namespace reaches the proxies (the Gateway and VirtualService are
// exported to every namespace), and `istioctl analyze` finds nothing wrong with what we create for the
// published example and the Sock-Shop flow, side by side in one namespace.

describe("across namespaces, and istioctl analyze", () => {
  const h = useOperator("istio-ns");

  beforeAll(async () => {
    await enableInjection(h.ns);
    await deploySampleApp(h.ns);
    await waitFor(async () => (await pods(h.ns, "app=s0")).filter(isReadyPod).length === 10, { timeout: 90_000, description: "10 Ready s0 pods" });
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, h.ns);
    await waitReady(h.ns, "ps-s0", 90_000);
  });

  it("a sidecar caller in another namespace reaches sn0 through the proxies and ends at the app's pods", async () => {
    const other = await createTestNamespace("istio-ns-caller", currentAdminKubeConfig());
    try {
      await enableInjection(other.name);
      const caller = await createCaller(other.name);
      const host = `sn0.${h.ns}.svc.cluster.local:80`;
      const t = await waitFor(async () => {
        const x = await trace(caller, host);
        return !x.error && x.hops.length > 1 && x.hops[0]!.endpoints.every((e) => e.next > 0) ? x : undefined;
      }, { timeout: 60_000, description: `a trace from ${caller} to ${host} through the proxies` });
      expect(t.hops[0]!.endpoints.every((e) => e.pod?.startsWith(`${h.ns}/ps-s0-`))).toBe(true);
      const apps = (await pods(h.ns, "app=s0")).filter(isReadyPod).map((p) => `${p.status!.podIP}:8080`).sort();
      expect(t.final).toEqual(apps);
    } finally {
      await other.cleanup();
    }
  });

  it("istioctl analyze reports no error or warning for the published example and the Sock-Shop flow (carts-proxy) beside it", async () => {
    await apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "carts" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { name: "carts" } },
        template: { metadata: { labels: { name: "carts" } }, spec: { containers: [{ name: "carts", image: "weaveworksdemos/carts:0.4.8", ports: [{ containerPort: 80 }] }] } },
      },
    }, h.ns);
    for (const obj of [...readYaml("example/sock-shop/carts-target.yaml"), ...readYaml("example/sock-shop/carts-proxy.yaml")]) await apply(obj, h.ns);
    await waitReady(h.ns, "carts-proxy", 90_000);
    const messages = (await analyze(h.ns)).filter((m) => m.level === "Error" || m.level === "Warning");
    expect(messages, JSON.stringify(messages, null, 2)).toEqual([]);
  });
});
