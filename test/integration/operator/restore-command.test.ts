import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Annotations } from "../../../src/api/takeover.js";
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
});
