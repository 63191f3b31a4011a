import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Annotations, Labels, encodeTakeoverRecord, proxySelectorValue } from "../../../src/api/takeover.js";
import { FIELD_MANAGER } from "../../../src/api/names.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { adminKubeconfigPath } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { apply, deploySampleApp, get, getPs, readYaml, readyAddresses, remove, repoRoot, waitReady } from "./support.js";

// `proxy-service restore`: the operator was uninstalled before the ProxyService was deleted. The command
// restores the taken-over Service from its annotation, exactly, and lets the ProxyService be deleted.

interface Service extends KubeObject {
  spec: { clusterIP?: string; selector?: Record<string, string>; ports?: unknown[] };
}

describe("proxy-service restore", () => {
  const h = useOperator("op-restore");

  it("restores a taken-over Service exactly after the operator is gone, and releases the finalizer", async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await waitFor(async () => (await readyAddresses(ns, "sn0")).length === 10, { description: "sn0 ready" });
    const original = (await get<Service>("v1", "Service", ns, "sn0"))!;
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, ns);
    await waitReady(ns, "ps-s0");
    await h.operator.stop("SIGKILL"); // "uninstalled": nothing will run the finalizer

    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(repoRoot, "bin/proxy-service.js"), "restore", "--kubeconfig", adminKubeconfigPath, "-n", ns, "--remove-finalizers"],
      { cwd: repoRoot },
    );
    expect(stdout).toContain(`restoring Service ${ns}/sn0: selector app=s0`);
    const sn0 = (await get<Service>("v1", "Service", ns, "sn0"))!;
    expect(sn0.spec.clusterIP).toBe(original.spec.clusterIP);
    expect(sn0.spec.selector).toEqual(original.spec.selector);
    expect(sn0.spec.ports).toEqual(original.spec.ports);
    expect(sn0.metadata.annotations?.[Annotations.takeover]).toBeUndefined();

    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0");
    await waitFor(async () => (await getPs(ns, "ps-s0")) === undefined, { description: "ps-s0 deletable" });
    await waitFor(async () => (await readyAddresses(ns, "sn0")).length === 10, { description: "sn0 reaches the app pods" });
  });

  it("restores the other Services when one record is malformed, and exits non-zero naming that one", async () => {
    const { ns } = h;
    const service = (name: string, selector: Record<string, string>, record: string): KubeObject => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, annotations: { [Annotations.takeover]: record } },
      spec: { selector, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 80 }] },
    });
    // sn-a sorts before sn-b, so a command that stops at the first bad record never reaches sn-b.
    await apply(service("sn-a", { app: "a" }, "{not json"), ns, FIELD_MANAGER);
    const record = encodeTakeoverRecord({ version: 1, proxyService: "ps-b", selector: { app: "b" }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }] });
    await apply(service("sn-b", { [Labels.proxy]: proxySelectorValue(ns, "ps-b") }, record), ns, FIELD_MANAGER);

    const result = await promisify(execFile)(
      process.execPath,
      [path.join(repoRoot, "bin/proxy-service.js"), "restore", "--kubeconfig", adminKubeconfigPath, "-n", ns, "sn-a", "sn-b"],
      { cwd: repoRoot },
    ).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Service ${ns}/sn-a`);
    expect(result.stderr).toContain(Annotations.takeover);
    const b = (await get<Service>("v1", "Service", ns, "sn-b"))!;
    expect(b.spec.selector).toEqual({ app: "b" });
    expect(b.metadata.annotations?.[Annotations.takeover]).toBeUndefined();
    const a = (await get<Service>("v1", "Service", ns, "sn-a"))!;
    expect(a.spec.selector).toEqual({ app: "a" });
    expect(a.metadata.annotations?.[Annotations.takeover]).toBe("{not json");
  });
});
