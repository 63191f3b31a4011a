import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { V1Container, V1Deployment, V1Pod, V1Service } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { withDefaults } from "../../../src/api/defaults.js";
import { Labels, proxySelectorValue } from "../../../src/api/labels.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { renderDeployment } from "../../../src/render/deployment.js";
import { renderServiceAccount } from "../../../src/render/service-account.js";
import { PrivateCluster, run } from "../cluster/local-cluster.js";
import { admin, apply, get, repoRoot, useCluster } from "../operator/support.js";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";

// Issue 9, 5.2: istiod's own Gateway API deployment controller is the model for our proxy Deployment.
// An `istio`-class Gateway API Gateway makes istiod render its kube-gateway template into a Deployment,
// Service and ServiceAccount; beside it we apply the Deployment we render, which Istio's injector turns
// into a pod with the `gateway` template. Each test compares one aspect of the two pods (or objects):
// equal where we decided to match, and the difference asserted where we deliberately differ
// (docs/operator.md, "Our Deployment vs Istio's Gateway API deployment").
//
// On a private cluster: the Gateway API CRDs make istiod start its Gateway API controllers, which
// the shared cluster's other tests should not meet.

const cluster = new PrivateCluster();
const crdFile = "hack/local-cluster/gateway-api-crds.gen.yaml";
// OpenShift's restricted namespaces give pods a uid range; Istio's injector and istiod run the proxy
// as its last id (pkg/kube/inject/openshift.go). The cluster is no OpenShift: the annotations suffice.
const uidRange = { "openshift.io/sa.scc.uid-range": "1000650000/10000", "openshift.io/sa.scc.supplemental-groups": "1000650000/10000" };
const rangeLastId = 1000659999;

interface Side {
  namespace: string;
  istiod: { pod: V1Pod; proxy: V1Container; deployment: V1Deployment };
  ours: { pod: V1Pod; proxy: V1Container; deployment: V1Deployment };
}
const sides: Record<"plain" | "uidRange", Side> = {} as never;
const cleanups: (() => Promise<void>)[] = [];

const proxyOf = (pod: V1Pod): V1Container => {
  const c = pod.spec?.containers.find((x) => x.name === "istio-proxy");
  if (!c) throw new Error(`pod ${pod.metadata?.name} has no istio-proxy container`);
  return c;
};

async function podsOf(namespace: string, labelSelector: string): Promise<V1Pod[]> {
  return (await admin.request<{ items: V1Pod[] }>("GET", `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector } })).items;
}

async function installGatewayApiCrds(): Promise<void> {
  const crds = parseAllDocuments(readFileSync(path.join(repoRoot, crdFile), "utf8"))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null);
  for (const crd of crds) await apply(crd);
  await waitFor(async () => {
    for (const crd of crds) {
      const got = await admin.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
        "GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      if (!got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return false;
    }
    return true;
  }, { timeout: 30_000, description: "the Gateway API CRDs Established" });
}

/** An `istio`-class Gateway with one HTTP listener, as a user would write it. */
const gateway = (name: string, extra: { annotations?: Record<string, string>; parametersRef?: string } = {}): KubeObject => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { name, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: {
    gatewayClassName: "istio",
    listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
    ...(extra.parametersRef ? { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: extra.parametersRef } } } : {}),
  },
}) as KubeObject;

/** Our ServiceAccount and Deployment for the published ps-s0 (or another name), rendered in `namespace` (no uid: no ownerReference). */
function ourObjects(namespace: string, name = "ps-s0"): KubeObject[] {
  const ps = withDefaults({
    apiVersion: "msvcbench.io/v1alpha1",
    kind: "ProxyService",
    metadata: { name, namespace },
    spec: { serviceName: "sn0", loadBalancer: "LEAST_REQUEST", target: "sn0-ep", port: 80 },
  });
  return [renderServiceAccount(ps), renderDeployment(ps)] as unknown as KubeObject[];
}

/** Both sides in one namespace: istiod's gateway `gw` and our ps-s0, each with a Running pod. */
async function setUpSide(prefix: string, annotations: Record<string, string>): Promise<Side> {
  const ns = await createTestNamespace(prefix, cluster.kubeConfig());
  cleanups.push(ns.cleanup);
  if (Object.keys(annotations).length > 0) {
    await admin.request("PATCH", `/api/v1/namespaces/${ns.name}`, { body: { metadata: { annotations } }, contentType: "application/merge-patch+json" });
  }
  await apply(gateway("gw"), ns.name);
  for (const obj of ourObjects(ns.name)) await apply(obj, ns.name);
  const firstPod = async (selector: string): Promise<V1Pod | undefined> => (await podsOf(ns.name, selector)).find((p) => p.status?.phase === "Running");
  const istiodPod = await waitFor(() => firstPod("gateway.networking.k8s.io/gateway-name=gw"), { timeout: 90_000, description: `a Running pod of istiod's Deployment gw-istio in ${ns.name}` });
  const ourPod = await waitFor(() => firstPod(`${Labels.proxy}=${proxySelectorValue(ns.name, "ps-s0")}`), { timeout: 90_000, description: `a Running pod of our Deployment ps-s0 in ${ns.name}` });
  return {
    namespace: ns.name,
    istiod: { pod: istiodPod, proxy: proxyOf(istiodPod), deployment: (await get<V1Deployment>("apps/v1", "Deployment", ns.name, "gw-istio"))! },
    ours: { pod: ourPod, proxy: proxyOf(ourPod), deployment: (await get<V1Deployment>("apps/v1", "Deployment", ns.name, "ps-s0"))! },
  };
}

beforeAll(async () => {
  await cluster.up();
  useCluster(cluster.kubeConfig());
  await installGatewayApiCrds();
  sides.plain = await setUpSide("gw-model", {});
  sides.uidRange = await setUpSide("gw-model-uid", uidRange);
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await cluster.destroy();
});

describe("our proxy Deployment against istiod's Gateway API deployment", () => {
  it("istiod generates a ServiceAccount, Deployment and Service named <gateway>-istio, labelled as its own, and no HPA or PDB without parametersRef", async () => {
    const ns = sides.plain.namespace;
    for (const kind of ["ServiceAccount", "Deployment", "Service"] as const) {
      const obj = await get<KubeObject>(kind === "Deployment" ? "apps/v1" : "v1", kind, ns, "gw-istio");
      expect(obj?.metadata.labels?.["gateway.networking.k8s.io/gateway-name"], kind).toBe("gw");
      expect(obj?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Gateway", name: "gw" });
    }
    expect(sides.plain.istiod.deployment.metadata?.labels?.["gateway.istio.io/managed"]).toBe("istio.io-gateway-controller");
    const hpas = await admin.request<{ items: unknown[] }>("GET", `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`);
    const pdbs = await admin.request<{ items: unknown[] }>("GET", `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`);
    expect(hpas.items).toEqual([]);
    expect(pdbs.items).toEqual([]);
  });

  it("the proxy container runs with exactly istiod's security context", () => {
    const { istiod, ours } = sides.plain;
    expect(ours.proxy.securityContext).toEqual(istiod.proxy.securityContext);
    expect(istiod.proxy.securityContext).toEqual({
      runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] },
    });
  });

  it("in a namespace with an OpenShift uid range istiod runs its proxy as the range's last id; our Deployment names no id and leaves it to the injector", () => {
    const { istiod, ours } = sides.uidRange;
    expect(istiod.proxy.securityContext).toMatchObject({ runAsUser: rangeLastId, runAsGroup: rangeLastId });
    const rendered = ours.deployment.spec!.template.spec!;
    expect(rendered.containers[0]!.securityContext).not.toHaveProperty("runAsUser");
    expect(rendered.securityContext).not.toHaveProperty("fsGroup");
    // The injector reads the range only where istiod runs with PLATFORM=openshift (webhook.go), which
    // this cluster's does not: here it gives its default, and everything else is istiod's.
    expect(ours.proxy.securityContext).toEqual({ ...istiod.proxy.securityContext, runAsUser: 1337, runAsGroup: 1337 });
  });

  it("a user id in the Deployment's istio-proxy container wins over the injector's, which is why we set none", async () => {
    const ns = sides.plain.namespace;
    const [serviceAccount, pinned] = ourObjects(ns, "ps-pinned-uid") as [KubeObject, V1Deployment & KubeObject];
    pinned.spec!.template.spec!.containers[0]!.securityContext!.runAsUser = 4242;
    await apply(serviceAccount, ns);
    await apply(pinned, ns);
    const pod = await waitFor(async () => (await podsOf(ns, `${Labels.proxy}=${proxySelectorValue(ns, "ps-pinned-uid")}`))[0],
      { timeout: 60_000, description: "a pod of ps-pinned-uid" });
    expect(proxyOf(pod).securityContext?.runAsUser).toBe(4242);
    expect(proxyOf(pod).securityContext?.runAsGroup).toBe(1337);
  });

  it("the proxy has istiod's startup probe, field by field (Ready a second after Envoy, not at the next readiness period)", () => {
    const { istiod, ours } = sides.plain;
    expect(istiod.proxy.startupProbe).toBeDefined();
    expect(ours.proxy.startupProbe).toEqual(istiod.proxy.startupProbe);
  });

  it("the readiness probe: same path, port, period and threshold; the timeout is the injector's 3 s against istiod's 1 s (left to the mesh's values)", () => {
    const { istiod, ours } = sides.plain;
    const { timeoutSeconds: theirTimeout, ...theirs } = istiod.proxy.readinessProbe!;
    const { timeoutSeconds: ourTimeout, ...ourProbe } = ours.proxy.readinessProbe!;
    expect(ourProbe).toEqual(theirs);
    expect(theirs).toMatchObject({ httpGet: { path: "/healthz/ready", port: 15021 }, periodSeconds: 15, failureThreshold: 4 });
    expect([theirTimeout, ourTimeout]).toEqual([1, 3]);
    expect(ours.proxy.livenessProbe).toEqual(istiod.proxy.livenessProbe);
  });

  it("the pod's security context: the same sysctl and no user or fsGroup on either; ours adds runAsNonRoot and seccomp RuntimeDefault", () => {
    for (const which of ["plain", "uidRange"] as const) {
      const theirs = sides[which].istiod.pod.spec!.securityContext!;
      const ours = sides[which].ours.pod.spec!.securityContext!;
      expect(ours.sysctls).toEqual(theirs.sysctls);
      expect(theirs.sysctls).toEqual([{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }]);
      for (const field of ["runAsUser", "runAsGroup", "fsGroup"] as const) {
        expect(theirs[field], `istiod's ${field}`).toBeUndefined();
        expect(ours[field], `our ${field}`).toBeUndefined();
      }
      expect({ ...ours, sysctls: undefined }).toEqual({ sysctls: undefined, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    }
  });

  it("the pod's metadata: the same Prometheus and revision annotations and canonical labels; istiod's pod skips injection, ours asks for the gateway template", () => {
    const { istiod, ours } = sides.plain;
    const pick = (m: Record<string, string> | undefined, keys: string[]) => Object.fromEntries(keys.map((k) => [k, m?.[k]]));
    const annotations = ["prometheus.io/path", "prometheus.io/port", "prometheus.io/scrape", "istio.io/rev"];
    expect(pick(ours.pod.metadata?.annotations, annotations)).toEqual(pick(istiod.pod.metadata?.annotations, annotations));
    expect(pick(istiod.pod.metadata?.annotations, annotations)).toEqual({ "prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020", "prometheus.io/scrape": "true", "istio.io/rev": "default" });
    expect(ours.pod.metadata?.labels?.["service.istio.io/canonical-revision"]).toBe(istiod.pod.metadata?.labels?.["service.istio.io/canonical-revision"]);
    expect(istiod.pod.metadata?.labels?.["service.istio.io/canonical-name"]).toBe("gw-istio");
    expect(ours.pod.metadata?.labels?.["service.istio.io/canonical-name"]).toBe("ps-s0");
    expect(istiod.pod.metadata?.labels?.["sidecar.istio.io/inject"]).toBe("false");
    expect(ours.pod.metadata?.labels?.["sidecar.istio.io/inject"]).toBe("true");
    expect(ours.pod.metadata?.annotations?.["inject.istio.io/templates"]).toBe("gateway");
  });

  it("the container: the same image, router mode, environment, volumes and mounts; istiod declares ports 15020, 15021 and 15090, our injected pod only 15090", () => {
    const { istiod, ours } = sides.plain;
    expect(ours.proxy.image).toBe(istiod.proxy.image);
    expect(ours.proxy.args?.slice(0, 2)).toEqual(["proxy", "router"]);
    expect(istiod.proxy.args?.slice(0, 2)).toEqual(["proxy", "router"]);
    // kube-api-access-<random> is the API server's token volume, named anew for each pod.
    const names = (list: { name: string }[] | undefined) => (list ?? []).map((v) => v.name.replace(/^kube-api-access-.*/, "kube-api-access")).sort();
    expect(names(ours.pod.spec?.volumes)).toEqual(names(istiod.pod.spec?.volumes));
    expect(names(ours.proxy.volumeMounts)).toEqual(names(istiod.proxy.volumeMounts));
    expect(names(ours.proxy.env)).toEqual(names(istiod.proxy.env));
    expect(names(ours.proxy.env)).toEqual(expect.arrayContaining(["GOMEMLIMIT", "ISTIO_CPU_LIMIT", "PROXY_CONFIG", "ISTIO_META_OWNER"]));
    const ports = (c: V1Container) => (c.ports ?? []).map((p) => `${p.name}:${p.containerPort}`).sort();
    expect(ports(istiod.proxy)).toEqual(["http-envoy-prom:15090", "metrics:15020", "status-port:15021"]);
    expect(ports(ours.proxy)).toEqual(["http-envoy-prom:15090"]);
  });

  it("resources: istiod's come from the mesh's global.proxy.resources, ours from spec.resources (Envoy's concurrency follows the request)", () => {
    const { istiod, ours } = sides.plain;
    expect(istiod.proxy.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } });
    expect(ours.proxy.resources).toEqual({ requests: { cpu: "500m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } });
  });

  it("rollouts: istiod's Deployment keeps the API server's 25 % / 25 %; ours never lowers the number of Ready proxies", () => {
    const { istiod, ours } = sides.plain;
    expect(istiod.deployment.spec?.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
    expect(ours.deployment.spec?.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(istiod.pod.spec?.topologySpreadConstraints).toBeUndefined();
    expect(ours.pod.spec?.topologySpreadConstraints?.[0]).toMatchObject({ topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "DoNotSchedule", nodeTaintsPolicy: "Honor" });
  });

  it("istiod's Service is its own <gateway>-istio: a LoadBalancer, dual-stack if possible, status-port 15021 beside the listener's port", async () => {
    const svc = (await get<V1Service>("v1", "Service", sides.plain.namespace, "gw-istio"))!;
    expect(svc.spec?.type).toBe("LoadBalancer");
    expect(svc.spec?.ipFamilyPolicy).toBe("PreferDualStack");
    expect(svc.spec?.selector).toEqual({ "gateway.networking.k8s.io/gateway-name": "gw" });
    expect(svc.spec?.ports?.map((p) => ({ name: p.name, port: p.port, appProtocol: p.appProtocol }))).toEqual([
      { name: "status-port", port: 15021, appProtocol: "tcp" },
      { name: "http", port: 80, appProtocol: "http" },
    ]);
  });

  it("with infrastructure.parametersRef, istiod adds an HPA and a PDB from the ConfigMap, and still does not take over a Service it did not make, even by name-override", async () => {
    const ns = sides.plain.namespace;
    // The user's Service sn0 (what a ProxyService takes over), and a Gateway asking for that very name.
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn0" }, spec: { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } } as never, ns);
    const before = (await get<V1Service>("v1", "Service", ns, "sn0"))!;
    await admin.request("POST", `/api/v1/namespaces/${ns}/configmaps`, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "gw-sn0-options" }, data: {
      horizontalPodAutoscaler: "spec:\n  minReplicas: 2\n  maxReplicas: 5\n",
      podDisruptionBudget: "spec:\n  minAvailable: 1\n",
    } } });
    await apply(gateway("gw-sn0", { annotations: { "gateway.istio.io/name-override": "sn0" }, parametersRef: "gw-sn0-options" }), ns);
    // The template's objects are applied in order (ServiceAccount, Deployment, Service, HPA, PDB), so
    // the PDB's arrival means istiod has passed the Service.
    const pdb = await waitFor(() => get<{ spec: { minAvailable?: number } }>("policy/v1", "PodDisruptionBudget", ns, "sn0"), { timeout: 60_000, description: "istiod's PDB sn0" });
    expect(pdb.spec.minAvailable).toBe(1);
    const hpa = await get<{ spec: { minReplicas?: number; maxReplicas: number; scaleTargetRef: { name: string } } }>("autoscaling/v2", "HorizontalPodAutoscaler", ns, "sn0");
    expect(hpa?.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5, scaleTargetRef: { name: "sn0" } });
    const after = (await get<V1Service>("v1", "Service", ns, "sn0"))!;
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(after.spec?.selector).toEqual({ app: "s0" });
    expect(after.metadata?.labels?.["gateway.istio.io/managed"]).toBeUndefined();
  });

  it(`${crdFile} is the standard channel of the sigs.k8s.io/gateway-api module pinned by hack/istio`, async () => {
    const list = await run("go", ["-C", path.join(repoRoot, "hack/istio"), "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api"]);
    expect(list.code, list.stderr).toBe(0);
    const dir = path.join(list.stdout.trim(), "config/crd/standard");
    const files = readdirSync(dir).filter((f) => f.startsWith("gateway.networking.k8s.io_") && f.endsWith(".yaml") && !f.includes("_vap_")).sort();
    const pinned = files.map((f) => `---\n${readFileSync(path.join(dir, f), "utf8")}`).join("");
    // On a difference: run `go generate ./gateway-api-crds.go` in hack/local-cluster.
    expect(readFileSync(path.join(repoRoot, crdFile), "utf8") === pinned).toBe(true);
  });
});
