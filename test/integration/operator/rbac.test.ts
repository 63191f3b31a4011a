import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/kube/object.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { apply, deploySampleApp, get, getPs, mergePatch, metricValue, readYaml, remove, startOperator, waitReady } from "./support.js";

// Acceptance 11 of issue 4: the operator runs under the shipped ClusterRole (every test file does), and
// the ClusterRole grants nothing the operator does not use. The operator counts each request it sends by
// RBAC verb and resource (proxy_service_operator_api_requests_total); after a full lifecycle every rule
// of the ClusterRole must have been exercised, and nothing outside it. A second replica stands by, as in
// a Deployment with two replicas, so that what only a follower does (watch the Lease) is counted too.

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Used by authorization checks inside the API server, not by a request of ours: see cluster-role.yaml. */
const IMPLICIT = new Set(["update msvcbench.io/proxyservices/finalizers"]);

describe("the shipped ClusterRole", () => {
  const h = useOperator("op-rbac");

  it("lists exactly the verbs and resources the operator uses", async () => {
    const { ns } = h;
    await waitFor(async () => metricValue(await h.operator.metrics(), 'leader_election_master_status{name="proxyservice"}') === 1, {
      description: "the first replica leading",
    });
    const standby = await startOperator(h.kubeconfig, ns);
    let standbyMetrics = "";
    try {
      standbyMetrics = await waitFor(async () => {
        const text = await standby.metrics();
        return text.includes('verb="watch",group="coordination.k8s.io",resource="leases"') ? text : undefined;
      }, { description: "the standby replica watching the Lease" });
    } finally {
      await standby.stop("SIGTERM");
    }
    await deploySampleApp(ns);
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, ns);
    await waitReady(ns, "ps-s0", 60_000);
    const reconciled = (): Promise<unknown> =>
      waitFor(async () => {
        const ps = await getPs(ns, "ps-s0");
        return ps?.status?.observedGeneration === ps?.metadata.generation;
      }, { description: "the update reconciled" });
    // Four candidates bring an EnvoyFilter (create); going back to the default deletes it, as dropping the
    // PodDisruptionBudget (a single proxy needs none) does: the deletes of unwanted objects.
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0", { spec: { leastRequest: { choices: 4 } } });
    await reconciled();
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0", {
      spec: { leastRequest: null, autoscaling: { minReplicas: 1, maxReplicas: 1 } },
    });
    await reconciled();
    await waitFor(async () => (await get("networking.istio.io/v1alpha3", "EnvoyFilter", ns, "ps-s0")) === undefined, {
      description: "the EnvoyFilter deleted",
    });
    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0");
    await waitFor(async () => (await getPs(ns, "ps-s0")) === undefined, { description: "ps-s0 gone" });
    // Lease renewals (update) happen every retry period.
    await waitFor(async () => (await h.operator.metrics()).includes('verb="update",group="coordination.k8s.io",resource="leases"'), {
      description: "a Lease renewal",
    });

    const used = new Set(
      [await h.operator.metrics(), standbyMetrics]
        .flatMap((text) => text.split("\n"))
        .filter((l) => l.startsWith("proxy_service_operator_api_requests_total{") && Number(l.split(" ")[1]) > 0)
        .map((l) => {
          const label = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(l)?.[1] ?? "";
          return `${label("verb")} ${label("group")}/${label("resource")}`;
        }),
    );
    const role = readYaml("kubernetes/cluster-role.yaml")[0] as KubeObject & { rules: Rule[] };
    const granted = role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${g}/${res}`))));
    for (const rule of role.rules) {
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources).not.toContain("*");
      expect(rule.apiGroups).not.toContain("*");
    }
    const unused = granted.filter((g) => !used.has(g) && !IMPLICIT.has(g));
    expect(unused, "granted but never used").toEqual([]);
    const missing = [...used].filter((u) => !granted.includes(u));
    expect(missing, "used but not granted").toEqual([]);
  });
});
