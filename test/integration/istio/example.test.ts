import { beforeAll, describe, expect, it } from "vitest";
import { useOperator } from "../operator/harness.js";
import { apply, deploySampleApp, get, mergePatch, readYaml, waitReady } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { createCaller, enableInjection, istioProxy, isReadyPod, podAddresses, pods, trace, type Trace } from "./support.js";

// Issue 9, 4.1 and 4.2: the published example in an injection-enabled namespace, judged by the real
// istiod: what Istio's injector makes of our pods, and where a caller's request goes in what istiod
// sends to the caller's sidecar and to the proxies.

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: string | number;
}

describe("the published example under the real istiod", () => {
  const h = useOperator("istio-example");
  let caller = "";

  beforeAll(async () => {
    await enableInjection(h.ns);
    await deploySampleApp(h.ns);
    caller = await createCaller(h.ns);
    await waitFor(async () => (await pods(h.ns, "app=s0")).filter(isReadyPod).length === 10, { timeout: 90_000, description: "10 Ready s0 pods" });
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, h.ns);
    // A second Service of the same pods with more ports (two HTTP, one TCP) and its own ProxyService.
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn1" }, spec: { selector: { app: "s0" }, ports: [
      { name: "http", port: 80, targetPort: "http" },
      { name: "http-alt", port: 81, targetPort: 8080 },
      { name: "tcp-raw", port: 9000, targetPort: 8080 },
    ] } } as never, h.ns);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s1" },
      spec: { serviceName: "sn1", loadBalancer: "LEAST_REQUEST", target: "sn1-ep", port: 80 } } as never, h.ns);
    await waitReady(h.ns, "ps-s0", 90_000);
    await waitReady(h.ns, "ps-s1", 90_000);
  });

  const proxyPods = async (ps = "ps-s0") => {
    const deployment = await get<{ spec: { selector: { matchLabels: Record<string, string> } } }>("apps/v1", "Deployment", h.ns, ps);
    const selector = Object.entries(deployment!.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
    return pods(h.ns, selector);
  };

  /** The trace of sn0:port once istiod's pushes show the takeover (callers reach the proxies). */
  const traceThroughProxies = async (port: number, service = "sn0"): Promise<Trace> =>
    waitFor(async () => {
      const t = await trace(caller, `${service}:${port}`);
      return !t.error && t.hops.length > 1 && t.hops[0]!.endpoints.every((e) => e.next > 0) ? t : undefined;
    }, { timeout: 30_000, description: `a trace of sn0:${port} through the proxies` });

  /** On every port of the Service, the trace passes the ProxyService's pods and ends at the app's ready pods. */
  const checkEveryPort = async (service: string, ps: string): Promise<void> => {
    // <service>-ep keeps the original ports and selector (the Service itself now targets the proxies).
    const target = await get<{ spec: { ports: ServicePort[] } }>("v1", "Service", h.ns, `${service}-ep`);
    const taken = await get<{ spec: { ports: ServicePort[] } }>("v1", "Service", h.ns, service);
    const proxies = (await proxyPods(ps)).filter(isReadyPod).map((p) => `${h.ns}/${p.metadata.name}`).sort();
    expect(proxies.length).toBeGreaterThan(0);
    const apps = await pods(h.ns, "app=s0");
    expect(taken!.spec.ports.map((p) => p.port)).toEqual(target!.spec.ports.map((p) => p.port));
    for (const port of taken!.spec.ports) {
      const t = await traceThroughProxies(port.port, service);
      const original = target!.spec.ports.find((p) => p.port === port.port)!;
      const want = podAddresses(apps, original.targetPort ?? port.port);
      expect(t.hops[0]!.nodeType).toBe("sidecar");
      expect(t.hops[0]!.endpoints.map((e) => e.pod).sort()).toEqual(proxies);
      expect(t.hops.slice(1).map((x) => x.proxy).sort()).toEqual(proxies);
      for (const hop of t.hops.slice(1)) {
        expect(hop.nodeType).toBe("router");
        expect(hop.endpoints.every((e) => e.next === -1)).toBe(true);
        expect(hop.endpoints.map((e) => e.address).sort()).toEqual(want);
      }
      expect(t.final, `${service}:${port.port}`).toEqual(want);
    }
  };

  it("on every port of sn0 the caller's request passes the ProxyService's pods and ends at exactly the ready app pods' ip:targetPort", async () => {
    await checkEveryPort("sn0", "ps-s0");
  });

  it("on every port of a three-port Service (HTTP, HTTP on another port, TCP) the same holds", async () => {
    await checkEveryPort("sn1", "ps-s1");
  });

  it("the proxies balance towards the target with LEAST_REQUEST (two choices) and locality balancing off", async () => {
    const t = await traceThroughProxies(80);
    for (const hop of t.hops.slice(1)) {
      expect(hop.cluster).toBe(`outbound|80||sn0-ep.${h.ns}.svc.cluster.local`);
      expect(hop.lb).toMatchObject({ policy: "LEAST_REQUEST", choiceCount: 2, locality: "off", priorities: [0] });
      expect(hop.lb.slowStart).toBeUndefined();
    }
  });

  it("warmupDuration gives the proxies' cluster towards the target Envoy's slow start of that window", async () => {
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { warmupDuration: "30s" } });
    const t = await waitFor(async () => {
      const x = await traceThroughProxies(80);
      return x.hops.slice(1).every((hop) => hop.lb.slowStart?.slowStartWindow === "30s") ? x : undefined;
    }, { timeout: 60_000, description: "slow start on every proxy's cluster" });
    for (const hop of t.hops.slice(1)) expect(hop.lb).toMatchObject({ policy: "LEAST_REQUEST", locality: "off" });
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { warmupDuration: null } });
  });

  it("the ProxyService's pod is Istio's gateway template applied to our Deployment: one istio-proxy container, image resolved from auto, router mode", async () => {
    const list = [...(await proxyPods("ps-s0")), ...(await proxyPods("ps-s1"))];
    expect(list.length).toBeGreaterThan(0);
    for (const p of list) {
      expect(p.spec.containers.map((c) => c.name)).toEqual(["istio-proxy"]);
      expect(p.spec.initContainers ?? []).toEqual([]);
      const proxy = p.spec.containers[0]!;
      expect(proxy.image).not.toBe("auto");
      expect(proxy.image).toMatch(/\/proxyv2:/);
      expect(proxy.args?.slice(0, 2)).toEqual(["proxy", "router"]);
      expect(p.metadata.annotations?.["sidecar.istio.io/status"]).toBeDefined();
    }
  });

  it("the application's pods and the caller carry Istio's sidecar (sidecar mode, istio-init, tlsMode istio)", async () => {
    const list = [...(await pods(h.ns, "app=s0")), ...(await pods(h.ns, "app=caller"))];
    // 10 app pods and the caller.
    expect(list.length).toBe(11);
    for (const p of list) {
      const proxy = istioProxy(p);
      expect(proxy?.args?.slice(0, 2), p.metadata.name).toEqual(["proxy", "sidecar"]);
      expect(proxy?.image).toMatch(/\/proxyv2:/);
      expect(p.spec.initContainers?.map((c) => c.name)).toContain("istio-init");
      expect(p.metadata.labels?.["security.istio.io/tlsMode"]).toBe("istio");
    }
  });
});
