import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUP, PLURAL, VERSION } from "../../../src/api/types.js";
import { invalidCases, manifestOf } from "../../api/invalid-manifests.js";
import { adminKubeConfig, createTestNamespace } from "../support/cluster.js";
import { installCrd, kubectl, rejection } from "./support.js";

// The CRD's schema and CEL rules, judged by the real API server: the published manifests pass
// unchanged, every invalid one is rejected with a message naming the field.
describe("the ProxyService CRD on the API server", () => {
  let namespace: { name: string; cleanup: () => Promise<void> };
  let custom: k8s.CustomObjectsApi;

  beforeAll(async () => {
    installCrd();
    custom = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    namespace = await createTestNamespace("api-crd");
  });
  afterAll(async () => {
    await namespace.cleanup();
  });

  const create = (body: object) =>
    custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: namespace.name, plural: PLURAL, body, fieldValidation: "Strict" });

  it("accepts the published example unchanged, and fills in the defaults", () => {
    const applied = kubectl(["apply", "-n", namespace.name, "-f", "example/proxy-service-example.yaml"]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    const got = JSON.parse(kubectl(["get", "ps", "ps-s0", "-n", namespace.name, "-o", "json"]).stdout) as { spec: Record<string, unknown> };
    expect(got.spec).toMatchObject({
      serviceName: "sn0",
      target: "sn0-ep",
      loadBalancer: "LEAST_REQUEST",
      port: 80,
      protocol: "HTTP",
      autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 },
      resources: { requests: { cpu: "500m", memory: "128Mi" } },
      localityLoadBalancing: false,
      callerTls: { mode: "DISABLE" },
    });
  });

  it("accepts the Sock-Shop carts manifest unchanged (server-side dry run in its own namespace)", () => {
    // The manifest names namespace sock-shop; create it only if it is missing, and remove it only then.
    const existed = kubectl(["get", "namespace", "sock-shop"]).code === 0;
    if (!existed) expect(kubectl(["create", "namespace", "sock-shop"]).code).toBe(0);
    try {
      const applied = kubectl(["apply", "--dry-run=server", "-f", "example/sock-shop/carts-proxy.yaml"]);
      expect(applied.stderr).toBe("");
      expect(applied.stdout).toContain("proxyservice.msvcbench.io/carts-proxy created (server dry run)");
    } finally {
      if (!existed) kubectl(["delete", "namespace", "sock-shop", "--wait=false"]);
    }
  });

  it.each(invalidCases)("rejects $title with a message naming $field", async (c) => {
    const { code, text } = await rejection(create(manifestOf(c)));
    expect(code).toBe(422);
    expect(text).toContain(c.field);
  });

  it.each([
    [4, 4],
    [100, 100],
    ["All", "All"],
    [undefined, 2],
  ] as const)("accepts spec.leastRequest.choices %s with LEAST_REQUEST (stored as %s)", async (choices, stored) => {
    const name = `ps-choices-${String(choices ?? "empty").toLowerCase()}`;
    const created = (await create(
      manifestOf({ title: "", field: "", spec: { serviceName: "sn0", leastRequest: choices === undefined ? {} : { choices } }, name }),
    )) as { spec: { leastRequest: { choices: unknown } } };
    expect(created.spec.leastRequest.choices).toBe(stored);
  });

  it("rejects an unknown field (kubectl's strict field validation), naming it", () => {
    const manifest = "apiVersion: msvcbench.io/v1alpha1\nkind: ProxyService\nmetadata:\n  name: ps-typo\nspec:\n  serviceName: sn0\n  loadbalancer: RANDOM\n";
    const applied = kubectl(["apply", "-n", namespace.name, "-f", "-"], manifest);
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toContain('unknown field "spec.loadbalancer"');
  });

  it("refuses a change of spec.serviceName, saying to delete and recreate", async () => {
    await create(manifestOf({ title: "", field: "", spec: { serviceName: "sn1" }, name: "ps-immutable" }));
    const { code, text } = await rejection(
      custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: namespace.name, plural: PLURAL, name: "ps-immutable", body: { spec: { serviceName: "sn2" } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(code).toBe(422);
    expect(text).toContain("spec.serviceName");
    expect(text).toContain("delete this ProxyService and create a new one");
  });

  it("lets the other fields change", async () => {
    await create(manifestOf({ title: "", field: "", spec: { serviceName: "sn3" }, name: "ps-mutable" }));
    const patched = (await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: namespace.name,
        plural: PLURAL,
        name: "ps-mutable",
        body: { spec: { loadBalancer: "ROUND_ROBIN", autoscaling: { maxReplicas: 8 }, uri: { matchUriPrefix: "/a", rewriteUri: "/" } } },
      },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    )) as { spec: { loadBalancer: string } };
    expect(patched.spec.loadBalancer).toBe("ROUND_ROBIN");
  });
});
