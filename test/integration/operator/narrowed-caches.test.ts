import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { apply, currentAdminKubeConfig, deploySampleApp, get, getPs, readyCondition, remove, startOperator, waitReady, waitReason } from "./support.js";

// Issue 17: the operator caches Services, EndpointSlices and AuthorizationPolicies only in the namespaces that
// hold a ProxyService (started when the first appears), users' DestinationRules stripped to what the
// advisory reads, and Services with only the selector's managers left of managedFields. What the narrower
// caches must still find, on the real API server with the operator under the shipped ClusterRole, watching
// two namespaces: the test's and "web", which holds no ProxyService at first.

interface Service {
  metadata: { name: string; resourceVersion?: string };
  spec: { selector?: Record<string, string> };
}

const ps = (name: string, serviceName: string) => ({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name }, spec: { serviceName, port: 80 } });
const condition = async (ns: string, name: string, type: string) => (await getPs(ns, name))?.status?.conditions?.find((c) => c.type === type);

describe("the narrowed caches", () => {
  const h = useOperator("op-narrow", [], false);
  let web = { name: "", cleanup: async () => undefined as void };
  const args = (): string[] => ["--namespace", `${h.ns},${web.name}`];
  beforeAll(async () => {
    web = await createTestNamespace("op-narrow-web", currentAdminKubeConfig());
    h.operator = await startOperator(h.kubeconfig, h.ns, args());
  });
  afterAll(async () => {
    await remove("msvcbench.io/v1alpha1", "ProxyService", web.name, "ps-web");
    await waitFor(async () => (await getPs(web.name, "ps-web")) === undefined, { timeout: 60_000, description: "ps-web gone" }).catch(() => undefined);
    await web.cleanup();
  });

  it("finds a Service created after its ProxyService, through the watch of its namespace", async () => {
    const { ns } = h;
    // The first ProxyService of the namespace: its caches start now, and it waits for a Service not there yet.
    await apply(ps("ps-late", "late"), ns);
    await waitReason(ns, "ps-late", "TargetServiceMissing");
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "late" }, spec: { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } }, ns);
    // Through the Service watch, well before a backed-off retry would come.
    await waitReady(ns, "ps-late", 15_000);
    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-late");
    await waitFor(async () => (await getPs(ns, "ps-late")) === undefined, { description: "ps-late gone" });
  });

  it("judges a user's DestinationRule in a namespace that holds no ProxyService", async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await apply(ps("ps-s0", "sn0"), ns);
    await waitReady(ns, "ps-s0");
    // Callers in "web" get this rule for sn0 and would send Istio mTLS to the proxies, which take plain text.
    await apply(
      { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "far" }, spec: { host: `sn0.${ns}.svc.cluster.local`, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } } },
      web.name,
    );
    await waitFor(async () => {
      const c = await condition(ns, "ps-s0", "DestinationRules");
      return c?.status === "False" && c.message.includes(`DestinationRule "${web.name}/far"`) ? c : undefined;
    }, { timeout: 60_000, description: `DestinationRules False naming ${web.name}/far` });
    await remove("networking.istio.io/v1", "DestinationRule", web.name, "far");
    await waitFor(async () => (await condition(ns, "ps-s0", "DestinationRules"))?.status === "True", { timeout: 60_000, description: "DestinationRules True again" });
  });

  it("serves a ProxyService in a namespace whose Services it did not cache until then", async () => {
    await deploySampleApp(web.name);
    await apply(ps("ps-web", "sn0"), web.name);
    await waitReady(web.name, "ps-web", 60_000);
    expect((await get<Service>("v1", "Service", web.name, "sn0"))!.spec.selector).toEqual({ "proxyservice.msvcbench.io/proxy": `${web.name}.ps-web` });
  });

  it("after a restart, finds the taken-over Service's record and who reverts its selector", { timeout: 180_000 }, async () => {
    const { ns } = h;
    await waitReady(ns, "ps-s0");
    await h.operator.stop("SIGTERM");
    h.operator = await startOperator(h.kubeconfig, ns, args());
    // A GitOps tool puts the original selector back each time the new operator takes sn0 back: only a cache
    // holding sn0's takeover record and the selector's managers sees that as a revert and names the tool.
    const reverted = await waitFor(async () => {
      const sn0 = (await get<Service>("v1", "Service", ns, "sn0"))!;
      if (sn0.spec.selector?.app !== "s0") {
        await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn0" }, spec: { selector: { app: "s0" } } }, ns, "argocd-controller");
      }
      const current = await getPs(ns, "ps-s0");
      return readyCondition(current)?.reason === "TakeoverReverted" ? current : undefined;
    }, { timeout: 90_000, interval: 300, description: "Ready=False TakeoverReverted" });
    expect(readyCondition(reverted)!.message).toContain('"argocd-controller"');
  });
});
