import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateCluster } from "../cluster/local-cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { apply, deploySampleApp, get, getPs, mergePatch, useCluster, waitReady } from "./support.js";
import type { KubeObject } from "../../../src/kube/object.js";

// Acceptance 8 of issue 4: the API server restarts (kill -9 and start again) while the operator runs; the
// operator's watches resume or relist, and it converges without being restarted itself. The Lease is
// given a renew deadline longer than the restart, so that leadership survives it (with the defaults, a
// longer outage makes the operator exit and its pod restart, as controller-runtime does).
// It runs on a control plane of its own, so that the restart does not disturb others' tests.

describe("an API server restart", () => {
  const cluster = new PrivateCluster();
  beforeAll(async () => {
    await cluster.up();
    useCluster(cluster.kubeConfig());
  }, 300_000);
  afterAll(() => cluster.destroy(), 120_000);
  const h = useOperator("op-apiserver", ["--lease-duration", "90", "--renew-deadline", "60"]);

  it("is survived by the running operator, which converges on changes made afterwards", async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0" }, spec: { serviceName: "sn0", port: 80 } }, ns);
    await waitReady(ns, "ps-s0");
    const pid = h.operator.child.pid;

    const restart = await cluster.run("restart", "apiserver");
    expect(restart.code, restart.stderr).toBe(0);

    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0", { spec: { loadBalancer: "RANDOM" } });
    await waitFor(async () => {
      const dr = await get<KubeObject & { spec: { trafficPolicy: { loadBalancer: { simple: string } } } }>("networking.istio.io/v1", "DestinationRule", ns, "ps-s0");
      return dr?.spec.trafficPolicy.loadBalancer.simple === "RANDOM";
    }, { timeout: 90_000, description: "the DestinationRule updated after the restart" });
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn1" }, spec: { selector: { app: "s0" }, ports: [{ port: 80, targetPort: 8080 }] } }, ns);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s1" }, spec: { serviceName: "sn1", port: 80 } }, ns);
    await waitReady(ns, "ps-s1", 90_000);
    await waitReady(ns, "ps-s0");
    expect(h.operator.child.exitCode).toBeNull();
    expect(h.operator.child.pid).toBe(pid);
    expect((await getPs(ns, "ps-s1"))?.status?.takeover?.service).toBe("sn1");
  });
});
