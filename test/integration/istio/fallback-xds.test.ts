import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOperator } from "../operator/harness.js";
import { apply, deploySampleApp, mergePatch, readYaml, waitReady, waitReason } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { createCaller, enableInjection, healthy, isReadyPod, longestWithoutHealthy, pods, watchEds, type EdsUpdate } from "./support.js";

// Issue 16, point 5, as the callers' proxies see it: an xDS stream connected as a caller's sidecar watches
// the EDS of its cluster for sn0 while the only proxy turns unready and Ready again. Istio 1.31 sends
// unhealthy endpoints to callers too (PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS), marked UNHEALTHY, which Envoy
// does not balance to: only HEALTHY endpoints count here.

const UNPLANNED_GAP_BOUND_MS = 2_000;
const UNREADY = "local-cluster.msvcbench.io/unready";

describe("the fallback in a caller's EDS from the real istiod", () => {
  const h = useOperator("istio-fallback");
  let caller = "";
  let watch: Awaited<ReturnType<typeof watchEds>> | undefined;

  beforeAll(async () => {
    await enableInjection(h.ns);
    await deploySampleApp(h.ns);
    caller = await createCaller(h.ns);
    await waitFor(async () => (await pods(h.ns, "app=s0")).filter(isReadyPod).length === 10, { timeout: 90_000, description: "10 Ready s0 pods" });
    const [ps] = readYaml("example/proxy-service-example.yaml");
    // One proxy: the case where its failure leaves nothing but the fallback.
    await apply({ ...ps!, spec: { ...(ps as unknown as { spec: object }).spec, autoscaling: { minReplicas: 1, maxReplicas: 1 } } } as never, h.ns);
    await waitReady(h.ns, "ps-s0", 90_000);
  });
  afterAll(async () => {
    await watch?.stop();
  });

  it("the caller's healthy endpoints for sn0 go from the proxy to the application within the bound, and back without a gap", async () => {
    watch = await watchEds(caller, `outbound|80||sn0.${h.ns}.svc.cluster.local`);
    const proxy = await waitFor(async () => (await pods(h.ns, "app.kubernetes.io/instance=ps-s0")).find(isReadyPod), { description: "the Ready proxy pod" });
    const proxyIp = proxy.status!.podIP!;
    // Make before break, in the pod the real injector made: pilot-agent drains for 10 s after SIGTERM (the
    // merged proxy config it reads from PROXY_CONFIG), within the kubelet's 30 s grace period.
    const injected = proxy as unknown as { spec: { terminationGracePeriodSeconds?: number; containers: { name: string; env?: { name: string; value?: string }[] }[] } };
    expect(injected.spec.terminationGracePeriodSeconds).toBe(30);
    const istioProxy = injected.spec.containers.find((c) => c.name === "istio-proxy");
    const proxyConfig = JSON.parse(istioProxy?.env?.find((e) => e.name === "PROXY_CONFIG")?.value ?? "{}") as { terminationDrainDuration?: string };
    expect(proxyConfig.terminationDrainDuration).toBe("10s");
    const last = (): EdsUpdate => watch!.updates.at(-1)!;
    await waitFor(() => healthy(last()).length === 1 && healthy(last())[0]!.startsWith(`${proxyIp}:`), { timeout: 30_000, description: "the caller's EDS lists only the proxy" });

    const start = Date.now();
    await mergePatch("v1", "Pod", h.ns, proxy.metadata!.name!, { metadata: { annotations: { [UNREADY]: "true" } } });
    await waitReason(h.ns, "ps-s0", "FellBack", 30_000);
    const fellBack = await waitFor(() => (healthy(last()).length === 10 ? last() : undefined), { timeout: 30_000, description: "the caller's EDS lists the 10 app pods" });
    const gap = longestWithoutHealthy(watch.updates, start, fellBack.at);
    console.log(`caller's EDS: no healthy endpoint for ${gap} ms during the fallback; updates: ${watch.updates.filter((u) => u.at >= start).map((u) => `${u.at - start} ms ${healthy(u).length}/${u.endpoints.length}`).join(", ")}`);
    expect(gap).toBeLessThanOrEqual(UNPLANNED_GAP_BOUND_MS);

    const recovery = Date.now();
    await mergePatch("v1", "Pod", h.ns, proxy.metadata!.name!, { metadata: { annotations: { [UNREADY]: null } } });
    const back = await waitFor(() => (healthy(last()).length === 1 && healthy(last())[0]!.startsWith(`${proxyIp}:`) ? last() : undefined), {
      timeout: 60_000,
      description: "the caller's EDS lists only the proxy again",
    });
    expect(longestWithoutHealthy(watch.updates, recovery, back.at)).toBe(0);
  });
});
