import { describe, expect, it } from "vitest";
import type { V1Service } from "@kubernetes/client-node";
import { Annotations, Labels, encodeTakeoverRecord, proxySelectorValue, type TakeoverRecord } from "../../src/api/takeover.js";
import { restoreService } from "../../src/controller/cleanup.js";
import { FIELD_MANAGER } from "../../src/api/names.js";
import type { KubeObject } from "../../src/kube/object.js";
import { FakeCluster } from "./fake-cluster.js";
import { NS, service } from "./fixtures.js";

// restoreService, the one apply that gives a taken-over Service back (cleanup and `proxy-service restore` both
// call it), over the fake API server.

const record: TakeoverRecord = { version: 1, proxyService: "ps-s0", selector: { app: "s0" }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }] };

function takenOverSn0(cluster: FakeCluster): V1Service & KubeObject {
  const sn0 = service("sn0", { [Labels.proxy]: proxySelectorValue(NS, "ps-s0") }, { annotations: { [Annotations.takeover]: encodeTakeoverRecord(record) } });
  sn0.spec!.ports = [{ name: "http", port: 80, protocol: "TCP", targetPort: 80 }];
  return cluster.applyAs(FIELD_MANAGER, sn0, true) as V1Service & KubeObject;
}

describe("restoreService", () => {
  it("puts the recorded selector and targetPort back and drops the record, keeping the ClusterIP", async () => {
    const cluster = new FakeCluster(() => 0);
    const live = takenOverSn0(cluster);
    const restored = await restoreService(cluster, live, record);
    expect(restored).toEqual({ selector: { app: "s0" }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }] });
    const sn0 = cluster.find("v1", "Service", NS, "sn0");
    expect(sn0?.spec?.selector).toEqual({ app: "s0" });
    expect((sn0?.spec as V1Service["spec"])?.ports).toEqual(restored.ports);
    expect((sn0?.spec as V1Service["spec"])?.clusterIP).toBe("10.0.0.10");
    expect(sn0?.metadata.annotations?.[Annotations.takeover]).toBeUndefined();
  });

  it("wins over another field manager that took the selector meanwhile, and keeps a selector that manager put back", async () => {
    const cluster = new FakeCluster(() => 0);
    takenOverSn0(cluster);
    cluster.edit("v1", "Service", NS, "sn0", (o) => void (o.spec = { ...o.spec, selector: { app: "s1" } }), "argocd");
    const live = cluster.find("v1", "Service", NS, "sn0") as V1Service & KubeObject;
    await restoreService(cluster, live, record);
    expect(cluster.find("v1", "Service", NS, "sn0")?.spec?.selector).toEqual({ app: "s1" });
  });

  it("is idempotent: a second restore changes nothing", async () => {
    const cluster = new FakeCluster(() => 0);
    await restoreService(cluster, takenOverSn0(cluster), record);
    const once = cluster.find("v1", "Service", NS, "sn0");
    await restoreService(cluster, cluster.find("v1", "Service", NS, "sn0") as V1Service & KubeObject, record);
    expect(cluster.find("v1", "Service", NS, "sn0")?.metadata.resourceVersion).toBe(once?.metadata.resourceVersion);
  });
});
