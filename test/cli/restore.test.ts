import { describe, expect, it } from "vitest";
import type { V1Service } from "@kubernetes/client-node";
import { Annotations, Labels, encodeTakeoverRecord, proxySelectorValue } from "../../src/api/takeover.js";
import { restoreServices } from "../../src/cli/restore.js";
import { FIELD_MANAGER } from "../../src/api/names.js";
import type { KubeObject } from "../../src/kube/object.js";
import { FakeCluster } from "../controller/fake-cluster.js";
import { NS, service } from "../controller/fixtures.js";

// `proxy-service restore` over the fake API server: one Service whose record cannot be read must not stop the
// others from being restored (issue 18), and is reported with its fix.

/** sn-b as the operator leaves it taken over: selecting the proxies of ps-b, the original in the record. */
function takenOver(cluster: FakeCluster, name: string, proxyService: string): void {
  const record = encodeTakeoverRecord({ version: 1, proxyService, selector: { app: name }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] });
  cluster.applyAs(FIELD_MANAGER, service(name, { [Labels.proxy]: proxySelectorValue(NS, proxyService) }, { annotations: { [Annotations.takeover]: record } }), true);
}

const services = (cluster: FakeCluster): (V1Service & KubeObject)[] =>
  cluster.list().filter((o) => o.kind === "Service").sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)) as (V1Service & KubeObject)[];

describe("restoreServices", () => {
  it("restores the other Services when one record is malformed, and reports that one with its fix", async () => {
    const cluster = new FakeCluster(() => 0);
    cluster.applyAs(FIELD_MANAGER, service("sn-a", { app: "a" }, { annotations: { [Annotations.takeover]: "{not json" } }), true);
    takenOver(cluster, "sn-b", "ps-b");
    const lines: string[] = [];
    const report = await restoreServices(cluster, services(cluster), { names: [], dryRun: false }, (l) => lines.push(l));
    expect(report.restored).toEqual([`${NS}/sn-b`]);
    expect(report.failed).toEqual([{ service: `${NS}/sn-a`, problem: expect.stringContaining(`annotation ${Annotations.takeover}: not JSON`) }]);
    expect(report.failed[0]?.problem).toContain("by hand");
    const b = cluster.find("v1", "Service", NS, "sn-b");
    expect(b?.spec?.selector).toEqual({ app: "sn-b" });
    expect(b?.metadata.annotations?.[Annotations.takeover]).toBeUndefined();
    expect(cluster.find("v1", "Service", NS, "sn-a")?.metadata.annotations?.[Annotations.takeover]).toBe("{not json");
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^restoring Service ${NS}/sn-b: selector app=sn-b; ports 80/TCP->8080`))]);
  });

  it("changes nothing on a dry run, and only the named Services are considered", async () => {
    const cluster = new FakeCluster(() => 0);
    takenOver(cluster, "sn-b", "ps-b");
    takenOver(cluster, "sn-c", "ps-c");
    const before = cluster.list();
    const report = await restoreServices(cluster, services(cluster), { names: ["sn-c"], dryRun: true }, () => undefined);
    expect(report).toEqual({ restored: [`${NS}/sn-c`], failed: [] });
    expect(cluster.list()).toEqual(before);
  });
});
