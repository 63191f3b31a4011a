import { afterAll, describe, expect, it } from "vitest";
import { buildCrd } from "../../../src/api/crd.js";
import { kubectl } from "./support.js";

// The install manifests, as a user applies them. The operator's Deployment is scaled to zero
// afterwards: the local cluster's kubelet is simulated and runs no container (test/integration/install
// runs the image itself), and the operator's own tests run it as a process.
/**
 * stderr without kubectl's warnings: when other tests created an object by server-side apply,
 * `kubectl apply` warns that it lacks the last-applied annotation, and then adds it.
 */
function errorsOf(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("Warning:"));
}

describe("kubernetes/ install manifests", () => {
  afterAll(() => {
    kubectl(["scale", "deployment/proxy-service-operator", "-n", "proxy-service-system", "--replicas=0"]);
  });

  it("`kubectl apply -f kubernetes/` succeeds and creates every object under its published name", () => {
    const applied = kubectl(["apply", "-f", "kubernetes/"]);
    expect(errorsOf(applied.stderr)).toEqual([]);
    expect(applied.code).toBe(0);
    for (const name of [
      "customresourcedefinition.apiextensions.k8s.io/proxyservices.msvcbench.io",
      "namespace/proxy-service-system",
      "serviceaccount/proxy-service-account",
      "deployment.apps/proxy-service-operator",
      "service/proxy-service-operator-metrics",
      "clusterrole.rbac.authorization.k8s.io/proxy-service-role-cluster",
      "clusterrolebinding.rbac.authorization.k8s.io/proxy-service-rolebinding-cluster",
    ]) {
      expect(applied.stdout).toContain(name);
    }
  });

  it("`kubectl apply -k kubernetes/` succeeds too", () => {
    const applied = kubectl(["apply", "-k", "kubernetes/"]);
    expect(errorsOf(applied.stderr)).toEqual([]);
    expect(applied.code).toBe(0);
  });

  it("installs the generated CRD", () => {
    const live = kubectl(["get", "crd", "proxyservices.msvcbench.io", "-o", "json"]);
    const spec = (JSON.parse(live.stdout) as { spec: { versions: { schema: unknown }[] } }).spec;
    expect(spec.versions[0]?.schema).toEqual(JSON.parse(JSON.stringify(buildCrd().spec.versions[0]?.schema)));
  });

  it("runs the operator under a hardened security context with a pinned image", () => {
    const live = kubectl(["get", "deployment", "proxy-service-operator", "-n", "proxy-service-system", "-o", "json"]);
    const pod = (JSON.parse(live.stdout) as { spec: { template: { spec: { securityContext: object; containers: { image: string; securityContext: object }[] } } } })
      .spec.template.spec;
    const container = pod.containers[0];
    expect(container?.image).toMatch(/:\d+\.\d+\.\d+$/);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(container?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
  });

  it("the sample application is accepted by the API server (server-side dry run)", () => {
    const applied = kubectl(["apply", "--dry-run=server", "-n", "default", "-f", "example/sample-app.yaml"]);
    expect(errorsOf(applied.stderr)).toEqual([]);
    expect(applied.stdout).toContain("deployment.apps/s0 created (server dry run)");
    expect(applied.stdout).toContain("service/sn0 created (server dry run)");
  });
});
