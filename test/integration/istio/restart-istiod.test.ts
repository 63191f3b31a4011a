import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateCluster, sharedStateDir } from "../cluster/local-cluster.js";
import { admin, useCluster } from "../operator/support.js";
import { createTestNamespace } from "../support/cluster.js";
import { createCaller, enableInjection, istioProxy, pods, useIstioCluster, xds } from "./support.js";

// Issue 9, section 2: istiod is a component of the local cluster like the others. `restart istiod`
// kills it and starts it again on the same state; it must come back with the same CA (kept in the
// istio-ca-secret Secret) and inject and serve xDS as before. On a private cluster, so the shared
// one's injector never goes away under another test run.

const cluster = new PrivateCluster();

beforeAll(async () => {
  await cluster.up();
  useCluster(cluster.kubeConfig());
  useIstioCluster(cluster.stateDir, process.env.LOCAL_CLUSTER_BIN_DIR ?? path.join(sharedStateDir, "bin"));
});
afterAll(async () => {
  await cluster.destroy();
});

const rootCert = async (): Promise<string | undefined> =>
  (await admin.request<{ data?: Record<string, string> }>("GET", "/api/v1/namespaces/istio-system/configmaps/istio-ca-root-cert")).data?.["root-cert.pem"];

describe("restart istiod", () => {
  it("comes back ready with the same root CA, injects new pods and serves them xDS", async () => {
    const before = await rootCert();
    expect(before).toContain("BEGIN CERTIFICATE");
    const restart = await cluster.run("restart", "istiod");
    expect(restart.code, restart.stderr).toBe(0);
    const status = await cluster.run("status");
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^istiod\s+pid \d+, ready$/m);
    expect(await rootCert()).toBe(before);

    const ns = await createTestNamespace("istio-restart", cluster.kubeConfig());
    try {
      await enableInjection(ns.name);
      const caller = await createCaller(ns.name);
      const [pod] = await pods(ns.name, "app=caller");
      expect(istioProxy(pod!)?.args?.slice(0, 2)).toEqual(["proxy", "sidecar"]);
      const config = await xds(caller);
      expect(config.listeners.map((l) => l.name)).toContain("virtualInbound");
      expect(config.clusters.length).toBeGreaterThan(0);
    } finally {
      await ns.cleanup();
    }
  });
});
