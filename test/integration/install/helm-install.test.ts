import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { chartDir } from "../../../hack/manifests.js";
import { adminKubeconfigPath, createTestNamespace } from "../support/cluster.js";
import {
  admin,
  apply,
  currentAdminKubeConfig,
  deploySampleApp,
  get,
  getPs,
  readYaml,
  remove,
  repoRoot,
  startOperator,
  waitReady,
  type OperatorProcess,
} from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { helm, ok, serviceAccountToken } from "./support.js";

// `helm install`, `helm upgrade` with changed values and `helm uninstall` of the chart against the local
// control plane, each checked in the API server; the operator runs under the chart's ServiceAccount (a
// process with that account's token) and reconciles the published example. The release has a name of
// its own, so its cluster-scoped objects do not meet the shared cluster's other installs; the operator
// watches only the test's application namespace, which other tests' operators never touch.

const run = promisify(execFile);
const TAKEOVER = "proxyservice.msvcbench.io/takeover";

interface Obj {
  metadata: { name: string; namespace?: string; finalizers?: string[]; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
  rules?: unknown[];
  subjects?: { name: string; namespace: string }[];
}

describe("helm install, upgrade and uninstall of charts/proxy-service-operator", () => {
  let rel = "";
  let relNs = "";
  let appNs = "";
  let names = { deployment: "", sa: "", clusterRole: "", clusterRoleBinding: "", service: "", role: "", leaseRole: "", dashboard: "" };
  let operator: OperatorProcess | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const r = await createTestNamespace("helm");
    const a = await createTestNamespace("helm-app");
    relNs = r.name;
    appNs = a.name;
    cleanups.push(r.cleanup, a.cleanup);
    rel = `pso-${relNs.slice(-6)}`;
    const prefix = `${rel}-proxy-service`;
    names = {
      deployment: `${rel}-proxy-service-operator`,
      sa: `${prefix}-account`,
      clusterRole: `${prefix}-role-cluster`,
      clusterRoleBinding: `${prefix}-rolebinding-cluster`,
      service: `${rel}-proxy-service-operator-metrics`,
      role: `${prefix}-role`,
      leaseRole: `${prefix}-leader-election`,
      dashboard: `${rel}-proxy-service-operator-dashboard`,
    };
    await deploySampleApp(appNs);
  }, 600_000);

  afterAll(async () => {
    await operator?.stop("SIGTERM");
    await helm(["uninstall", rel, "--namespace", relNs, "--ignore-not-found"]);
    for (const name of ["ps-s0", "ps-s1"]) await remove("msvcbench.io/v1alpha1", "ProxyService", appNs, name).catch(() => undefined);
    for (const c of cleanups.reverse()) await c();
  });

  /** The operator as a process under a token of the chart's ServiceAccount, watching the application namespace. */
  async function startUnderChartAccount(): Promise<OperatorProcess> {
    const cluster = currentAdminKubeConfig().getCurrentCluster()!;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "local", server: cluster.server, caData: cluster.caData, caFile: cluster.caFile }],
      users: [{ name: names.sa, token: await serviceAccountToken(relNs, names.sa) }],
      contexts: [{ name: "chart", cluster: "local", user: names.sa, namespace: relNs }],
      currentContext: "chart",
    });
    const dir = path.join(repoRoot, ".local-cluster", "test-logs");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${relNs}-chart.kubeconfig`);
    writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
    // The Lease where the chart's pods keep it: the release namespace (their POD_NAMESPACE).
    return startOperator(file, appNs, ["--leader-election-namespace", relNs]);
  }

  const rendered = async (args: string[]): Promise<Obj[]> =>
    parseAllDocuments(ok(await helm(["template", rel, chartDir, "--namespace", relNs, ...args]), "helm template"))
      .map((d) => d.toJSON() as Obj)
      .filter(Boolean);

  it("`helm install` creates every object of the chart, and the operator under its ServiceAccount reconciles the example", async () => {
    const out = ok(
      await helm([
        "install", rel, chartDir, "--namespace", relNs, "--set", "image.repository=localhost/proxy-service-operator",
        // The local control plane has no Prometheus Operator: the ServiceMonitor and the PrometheusRule are
        // skipped, not an error; the dashboard's ConfigMap needs nothing but the API server.
        "--set", "metrics.serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true", "--set", "grafanaDashboard.enabled=true",
        // One replica first, so that the upgrade below shows the PodDisruptionBudget coming with the second (the
        // chart's default, two, is rendered by chart.test.ts's default golden file).
        "--set", "replicaCount=1",
        "--wait", "--timeout", "3m",
      ]),
      "helm install",
    );
    expect(out).toContain("STATUS: deployed");
    expect(out).toContain("Before you uninstall"); // NOTES.txt
    expect(out).toContain("does not serve monitoring.coreos.com/v1\nServiceMonitor");
    expect(out).toContain("does not serve monitoring.coreos.com/v1\nPrometheusRule, so no alerts were created");
    expect(out).toContain(`Dashboard: ConfigMap ${names.dashboard} in ${relNs}`);
    const dashboard = await admin.request<{ metadata: { labels: Record<string, string> }; data: Record<string, string> }>("GET", `/api/v1/namespaces/${relNs}/configmaps/${names.dashboard}`);
    expect(dashboard.metadata.labels.grafana_dashboard).toBe("1");
    expect((JSON.parse(dashboard.data["proxy-service-operator.json"]!) as { uid: string }).uid).toBe("proxy-service-operator");
    const crd = await get<{ status: { conditions: { type: string; status: string }[] } }>("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "proxyservices.msvcbench.io");
    expect(crd?.status.conditions.some((c) => c.type === "Established" && c.status === "True")).toBe(true);
    const deployment = await get<Obj & { status?: { readyReplicas?: number } }>("apps/v1", "Deployment", relNs, names.deployment);
    expect(deployment?.spec?.replicas).toBe(1);
    expect(deployment?.status?.readyReplicas).toBe(1);
    expect(await get("v1", "ServiceAccount", relNs, names.sa)).toBeDefined();
    expect(await get("v1", "Service", relNs, names.service)).toBeDefined();
    expect(await get("policy/v1", "PodDisruptionBudget", relNs, names.deployment)).toBeUndefined();
    const role = await get<Obj>("rbac.authorization.k8s.io/v1", "ClusterRole", "", names.clusterRole);
    expect(role?.rules).toEqual(readYaml("kubernetes/cluster-role.yaml")[0]!.rules);
    const binding = await get<Obj>("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", names.clusterRoleBinding);
    expect(binding?.subjects).toEqual([{ kind: "ServiceAccount", name: names.sa, namespace: relNs }]);

    operator = await startUnderChartAccount();
    await apply(readYaml("example/proxy-service-example.yaml")[0]!, appNs);
    await waitReady(appNs, "ps-s0", 90_000);
    const sn0 = await get<Obj>("v1", "Service", appNs, "sn0");
    expect(sn0?.metadata.annotations?.[TAKEOVER]).toBeDefined();
  });

  it("`helm upgrade` to watchNamespaces, two replicas and debug logs swaps the ClusterRole for Roles and adds a PDB; the operator works under the Roles", async () => {
    const out = ok(
      await helm([
        "upgrade", rel, chartDir, "--namespace", relNs, "--reuse-values",
        "--set", `watchNamespaces={${appNs}}`, "--set", "replicaCount=2", "--set", "logLevel=debug", "--wait", "--timeout", "3m",
      ]),
      "helm upgrade",
    );
    expect(out).toContain("REVISION: 2");
    expect(await get("rbac.authorization.k8s.io/v1", "ClusterRole", "", names.clusterRole)).toBeUndefined();
    expect(await get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", names.clusterRoleBinding)).toBeUndefined();
    const expected = await rendered(["--set", `watchNamespaces={${appNs}}`]);
    const role = await get<Obj>("rbac.authorization.k8s.io/v1", "Role", appNs, names.role);
    expect(role?.rules).toEqual(expected.find((o) => o.metadata.name === names.role)?.rules);
    expect(await get("rbac.authorization.k8s.io/v1", "RoleBinding", appNs, names.role.replace(/-role$/, "-rolebinding"))).toBeDefined();
    const leaseRole = await get<Obj>("rbac.authorization.k8s.io/v1", "Role", relNs, names.leaseRole);
    expect(leaseRole?.rules).toEqual([{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "watch", "create", "update"] }]);
    const pdb = await get<Obj>("policy/v1", "PodDisruptionBudget", relNs, names.deployment);
    expect(pdb?.spec?.minAvailable).toBe(1);
    const deployment = await get<Obj & { status?: { readyReplicas?: number } }>("apps/v1", "Deployment", relNs, names.deployment);
    expect(deployment?.spec?.replicas).toBe(2);
    const args = (deployment?.spec as { template: { spec: { containers: { args: string[]; image: string }[] } } }).template.spec.containers[0]!;
    expect(args.args).toEqual(expect.arrayContaining([`--namespace=${appNs}`, "--log-level=debug"]));
    expect(args.image).toBe("localhost/proxy-service-operator:0.1.0"); // --reuse-values kept it

    // The same account, now with only the Roles: a second ProxyService becomes Ready.
    await operator?.stop("SIGTERM");
    operator = await startUnderChartAccount();
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn1" }, spec: { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: "http" }] } }, appNs);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s1" }, spec: { serviceName: "sn1", port: 80 } }, appNs);
    await waitReady(appNs, "ps-s1", 90_000);
    await waitReady(appNs, "ps-s0", 30_000);
  });

  it("`helm uninstall` removes the operator and leaves the CRD, the ProxyServices and their takeovers; `proxy-service restore` then gives every Service back", async () => {
    await operator?.stop("SIGTERM");
    operator = undefined;
    ok(await helm(["uninstall", rel, "--namespace", relNs, "--wait", "--timeout", "2m"]), "helm uninstall");
    for (const [apiVersion, kind, ns, name] of [
      ["apps/v1", "Deployment", relNs, names.deployment],
      ["v1", "ServiceAccount", relNs, names.sa],
      ["v1", "Service", relNs, names.service],
      ["policy/v1", "PodDisruptionBudget", relNs, names.deployment],
      ["rbac.authorization.k8s.io/v1", "Role", appNs, names.role],
      ["rbac.authorization.k8s.io/v1", "Role", relNs, names.leaseRole],
    ] as const) {
      expect(await get(apiVersion, kind, ns, name), `${kind} ${name}`).toBeUndefined();
    }
    const dashboard = await admin.request("GET", `/api/v1/namespaces/${relNs}/configmaps/${names.dashboard}`).then(() => "still there", (err: { status?: number }) => err.status);
    expect(dashboard, `ConfigMap ${names.dashboard}`).toBe(404);
    expect(await get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "proxyservices.msvcbench.io")).toBeDefined();
    for (const [ps, svc] of [["ps-s0", "sn0"], ["ps-s1", "sn1"]] as const) {
      expect((await getPs(appNs, ps))?.metadata.finalizers).toContain("proxyservice.msvcbench.io/restore-service");
      expect((await get<Obj>("v1", "Service", appNs, svc))?.metadata.annotations?.[TAKEOVER]).toBeDefined();
    }

    const restore = await run(
      process.execPath,
      [path.join(repoRoot, "bin/proxy-service.js"), "restore", "--kubeconfig", adminKubeconfigPath, "-n", appNs, "--remove-finalizers"],
      { cwd: repoRoot },
    );
    expect(restore.stdout + restore.stderr).toMatch(/sn0/);
    for (const svc of ["sn0", "sn1"]) {
      const live = await get<Obj & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: unknown }[] } }>("v1", "Service", appNs, svc);
      expect(live?.metadata.annotations?.[TAKEOVER], svc).toBeUndefined();
      expect(live?.spec.selector, svc).toEqual({ app: "s0" });
      expect(live?.spec.ports.map((p) => [p.port, p.targetPort]), svc).toEqual([[80, "http"]]);
    }
    // No finalizer holds them now: deleting the ProxyServices takes them away, and the Services stay.
    for (const ps of ["ps-s0", "ps-s1"]) await remove("msvcbench.io/v1alpha1", "ProxyService", appNs, ps);
    await waitFor(async () => !(await getPs(appNs, "ps-s0")) && !(await getPs(appNs, "ps-s1")), { timeout: 30_000, description: "both ProxyServices gone" });
    expect(await get("v1", "Service", appNs, "sn0")).toBeDefined();
    const list = await admin.request<{ items: unknown[] }>("GET", `/apis/msvcbench.io/v1alpha1/namespaces/${appNs}/proxyservices`);
    expect(list.items).toEqual([]);
  });
});
