import { afterAll, beforeAll } from "vitest";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { admin, currentAdminKubeConfig, installCrdAndRole, operatorKubeconfig, remove, startOperator, type OperatorProcess } from "./support.js";

export interface OperatorHarness {
  /** The test's namespace. */
  ns: string;
  /** The kubeconfig with the operator's ServiceAccount token (the shipped ClusterRole, not admin). */
  kubeconfig: string;
  operator: OperatorProcess;
}

/**
 * Per test file: a fresh namespace, the CRD and the shipped ClusterRole, a ServiceAccount token bound to
 * it, and the operator running as a child process watching that namespace. Afterwards every ProxyService
 * is deleted while the operator still runs (so finalizers complete), then the operator is stopped and the
 * namespace removed.
 */
export function useOperator(prefix: string, extraArgs: string[] = [], startNow = true): OperatorHarness {
  const h = { ns: "", kubeconfig: "" } as OperatorHarness;
  let cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    await installCrdAndRole();
    const ns = await createTestNamespace(prefix, currentAdminKubeConfig());
    h.ns = ns.name;
    const kc = await operatorKubeconfig(ns.name);
    h.kubeconfig = kc.file;
    cleanups = [kc.cleanup, ns.cleanup];
    if (startNow) h.operator = await startOperator(kc.file, ns.name, extraArgs);
  });
  afterAll(async () => {
    if (h.ns) {
      const list = await admin.request<{ items: { metadata: { name: string } }[] }>(
        "GET",
        `/apis/msvcbench.io/v1alpha1/namespaces/${h.ns}/proxyservices`,
      );
      for (const ps of list.items) await remove("msvcbench.io/v1alpha1", "ProxyService", h.ns, ps.metadata.name);
      if (h.operator && h.operator.child.exitCode === null && h.operator.child.signalCode === null) {
        await waitFor(
          async () =>
            (await admin.request<{ items: unknown[] }>("GET", `/apis/msvcbench.io/v1alpha1/namespaces/${h.ns}/proxyservices`)).items.length === 0,
          { timeout: 60_000, description: "every ProxyService deleted" },
        ).catch(() => undefined);
      }
    }
    await h.operator?.stop("SIGTERM");
    for (const c of cleanups) await c();
  });
  return h;
}
