import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/kube/object.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import {
  apply,
  deploySampleApp,
  get,
  getPs,
  readyCondition,
  remove,
  waitReady,
  waitReason,
} from "./support.js";

// Acceptance 6 of issue 4: conflicting ProxyServices, a missing Service, and a takeover that a second
// field manager (a GitOps tool) keeps reverting.

interface Service extends KubeObject {
  spec: { selector?: Record<string, string> };
}

const ps = (name: string, serviceName: string): KubeObject => ({
  apiVersion: "msvcbench.io/v1alpha1",
  kind: "ProxyService",
  metadata: { name },
  spec: { serviceName, port: 80 },
});

async function metricSum(text: string, prefix: string): Promise<number> {
  return text
    .split("\n")
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.split(" ")[1]), 0);
}

describe("conflicts, missing Services and reverted takeovers", () => {
  const h = useOperator("op-conflicts");

  it("gives the second ProxyService for a Service ServiceClaimedByAnother, touching nothing, until the first goes", async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await apply(ps("ps-a", "sn0"), ns);
    await waitReady(ns, "ps-a");
    await apply(ps("ps-b", "sn0"), ns);
    const b = await waitReason(ns, "ps-b", "ServiceClaimedByAnother");
    expect(readyCondition(b)!.message).toContain('"ps-a"');
    expect(await get("apps/v1", "Deployment", ns, "ps-b")).toBeUndefined();
    expect(await get("networking.istio.io/v1", "Gateway", ns, "ps-b")).toBeUndefined();

    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-a");
    await waitReady(ns, "ps-b", 60_000);
    const sn0 = (await get<Service>("v1", "Service", ns, "sn0"))!;
    expect(sn0.spec.selector).toEqual({ "proxyservice.msvcbench.io/proxy": `${ns}.ps-b` });
    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-b");
    await waitFor(async () => (await getPs(ns, "ps-b")) === undefined, { description: "ps-b gone" });
    expect((await get<Service>("v1", "Service", ns, "sn0"))!.spec.selector).toEqual({ app: "s0" });
  });

  it("reports a missing Service without an error loop and converges once it appears", async () => {
    const { ns } = h;
    await apply(ps("ps-late", "late"), ns);
    const waiting = await waitReason(ns, "ps-late", "TargetServiceMissing");
    expect(readyCondition(waiting)!.message).toContain('"late"');
    const errorsBefore = await metricSum(await h.operator.metrics(), "controller_runtime_reconcile_errors_total");
    const requeuesBefore = await metricSum(await h.operator.metrics(), 'controller_runtime_reconcile_total{controller="proxyservice",result="requeue"}');
    // Watch for ten seconds that the waiting is backed off (1 s, 2 s, 4 s, ...), not a hot loop.
    const started = Date.now();
    await waitFor(() => Date.now() - started >= 10_000, { timeout: 15_000, interval: 1000, description: "ten seconds pass" });
    const text = await h.operator.metrics();
    expect(await metricSum(text, "controller_runtime_reconcile_errors_total")).toBe(errorsBefore);
    expect((await metricSum(text, 'controller_runtime_reconcile_total{controller="proxyservice",result="requeue"}')) - requeuesBefore).toBeLessThanOrEqual(5);

    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "late" }, spec: { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } }, ns);
    // Converges through the Service watch, well before the next backed-off retry would come.
    await waitReady(ns, "ps-late", 15_000);
    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-late");
  });

  it("stops fighting a field manager that keeps reverting the selector, and names it in TakeoverReverted", async () => {
    const { ns } = h;
    await apply(ps("ps-r", "sn0"), ns);
    await waitReady(ns, "ps-r");
    // A GitOps tool re-applying the original selector, with force, each time the operator takes it back.
    const reverted = await waitFor(async () => {
      const sn0 = (await get<Service>("v1", "Service", ns, "sn0"))!;
      if (sn0.spec.selector?.app !== "s0") {
        await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn0" }, spec: { selector: { app: "s0" } } }, ns, "argocd-controller");
      }
      const current = await getPs(ns, "ps-r");
      return readyCondition(current)?.reason === "TakeoverReverted" ? current : undefined;
    }, { timeout: 60_000, interval: 300, description: "Ready=False TakeoverReverted" });
    expect(readyCondition(reverted)!.status).toBe("False");
    expect(readyCondition(reverted)!.message).toContain('"argocd-controller"');

    // Once given up, a reconcile leaves the selector to the other manager.
    const before = (await get<Service>("v1", "Service", ns, "sn0"))!;
    await apply({ ...ps("ps-r", "sn0"), metadata: { name: "ps-r", annotations: { poke: "1" } } }, ns);
    await waitFor(async () => (await getPs(ns, "ps-r"))?.metadata.annotations?.poke === "1", { description: "poke seen" });
    const after = (await get<Service>("v1", "Service", ns, "sn0"))!;
    expect(after.spec.selector).toEqual({ app: "s0" });
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});
