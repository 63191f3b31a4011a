import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { Annotations } from "../../../src/api/takeover.js";
import { isSubset } from "../../../src/kube/compare.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import {
  admin,
  apply,
  deploySampleApp,
  get,
  getPs,
  mergePatch,
  readYaml,
  readyAddresses,
  readyPodIps,
  remove,
  repoRoot,
  waitReady,
  waitReason,
  watchReadyEndpoints,
  writesExceptLeases,
} from "./support.js";

// Acceptance 1, 9, 4, 5 and 3 of issue 4, in the order a user lives them, on one ProxyService:
// the published example unchanged, render = apply, updates and a quiet no-op, drift repair, deletion.

interface Event extends KubeObject {
  reason: string;
  reportingController: string;
  reportingInstance: string;
}

/** The events.k8s.io Events about ps-s0. */
async function psEvents(ns: string): Promise<Event[]> {
  const list = await admin.request<{ items: Event[] }>("GET", `/apis/events.k8s.io/v1/namespaces/${ns}/events`, {
    query: { fieldSelector: "regarding.kind=ProxyService,regarding.name=ps-s0" },
  });
  return list.items;
}

interface Service extends KubeObject {
  spec: { clusterIP?: string; selector?: Record<string, string>; ports?: Record<string, unknown>[] };
}

const OWNED: [string, string, string][] = [
  ["apps/v1", "Deployment", "ps-s0"],
  ["v1", "ServiceAccount", "ps-s0"],
  ["autoscaling/v2", "HorizontalPodAutoscaler", "ps-s0"],
  ["networking.istio.io/v1", "Gateway", "ps-s0"],
  ["networking.istio.io/v1", "VirtualService", "ps-s0"],
  ["networking.istio.io/v1", "DestinationRule", "ps-s0"],
  ["v1", "Service", "sn0-ep"],
];

describe("the published example (ps-s0 in front of sn0)", () => {
  const h = useOperator("op-takeover");
  let original: Service;
  let renderInput: string;

  it("takes sn0 over in place without a moment of zero ready endpoints, once a late proxy pod is Ready", async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    const appIps = await waitFor(async () => {
      const ips = await readyPodIps(ns, "app=s0");
      return ips.length === 10 && (await readyAddresses(ns, "sn0")).length === 10 ? ips : undefined;
    }, { timeout: 60_000, description: "10 ready s0 pods behind sn0" });
    original = (await get<Service>("v1", "Service", ns, "sn0"))!;
    // What `proxy-service render` gets for acceptance 9: sn0 as it is before the takeover.
    renderInput = path.join(repoRoot, ".local-cluster", "test-logs", `${ns}-sn0.json`);
    writeFileSync(renderInput, JSON.stringify({ ...original, metadata: { ...original.metadata, managedFields: undefined } }));

    // Hold the proxy pods back (a quota of exactly the app's 10 pods) so we can mark them to become Ready late.
    await apply({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "hold-proxies" }, spec: { hard: { pods: "10" } } }, ns);
    const endpoints = await watchReadyEndpoints(ns, "sn0");
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, ns);
    await waitFor(() => get("apps/v1", "Deployment", ns, "ps-s0"), { description: "proxy Deployment created" });
    await mergePatch("apps/v1", "Deployment", ns, "ps-s0", {
      spec: { template: { metadata: { annotations: { "local-cluster.msvcbench.io/ready-after-seconds": "4" } } } },
    });
    // The template change starts a rollout; the first ReplicaSet (no annotation) would still bring up a pod
    // that is Ready at once, so delete it: the Deployment keeps only the annotated one.
    const readyAfter = "local-cluster.msvcbench.io/ready-after-seconds";
    type ReplicaSet = KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } };
    await waitFor(async () => {
      const sets = await admin.request<{ items: ReplicaSet[] }>("GET", `/apis/apps/v1/namespaces/${ns}/replicasets`, {
        query: { labelSelector: "app.kubernetes.io/instance=ps-s0" },
      });
      const stale = sets.items.filter((rs) => rs.spec.template.metadata.annotations?.[readyAfter] === undefined);
      for (const rs of stale) await admin.request("DELETE", `/apis/apps/v1/namespaces/${ns}/replicasets/${rs.metadata.name}`);
      return stale.length === 0 && sets.items.length === 1;
    }, { description: "only the annotated ReplicaSet left" });
    await waitReason(ns, "ps-s0", "ProxyNotAvailable");
    expect((await get<Service>("v1", "Service", ns, "sn0"))!.spec.selector).toEqual({ app: "s0" });

    const held = await admin.request<{ items: unknown[] }>("GET", `/api/v1/namespaces/${ns}/pods`, {
      query: { labelSelector: "app.kubernetes.io/instance=ps-s0" },
    });
    expect(held.items).toHaveLength(0); // the quota held every proxy pod back
    await remove("v1", "ResourceQuota", ns, "hold-proxies");
    const released = Date.now();
    // The ReplicaSet controller backs off after the quota's refusals; an update to the ReplicaSet makes it
    // retry at once instead of after its backoff (tens of seconds by now).
    const sets = await admin.request<{ items: KubeObject[] }>("GET", `/apis/apps/v1/namespaces/${ns}/replicasets`, {
      query: { labelSelector: "app.kubernetes.io/instance=ps-s0" },
    });
    for (const rs of sets.items) {
      await admin.request("PATCH", `/apis/apps/v1/namespaces/${ns}/replicasets/${rs.metadata.name}`, {
        body: { metadata: { annotations: { "integration-test/quota-released": "true" } } },
        contentType: "application/merge-patch+json",
      });
    }
    await waitReady(ns, "ps-s0", 90_000);
    const proxyIps = await waitFor(async () => {
      const ips = await readyPodIps(ns, "app.kubernetes.io/instance=ps-s0");
      return ips.length > 0 && JSON.stringify(await readyAddresses(ns, "sn0")) === JSON.stringify(ips) ? ips : undefined;
    }, { timeout: 30_000, description: "sn0's EndpointSlices hold the proxy pods' IPs" });
    endpoints.stop();
    // Every proxy pod was created from the annotated template, so the takeover waited for a late one
    // (4 s after the pod's start time, which has one-second resolution: at least 3 s after the release).
    expect(Date.now() - released).toBeGreaterThanOrEqual(3000);

    expect(endpoints.min()).toBeGreaterThan(0);
    const sn0 = (await get<Service>("v1", "Service", ns, "sn0"))!;
    expect(sn0.spec.clusterIP).toBe(original.spec.clusterIP);
    expect(sn0.spec.selector).toEqual({ "proxyservice.msvcbench.io/proxy": `${ns}.ps-s0` });
    expect(sn0.metadata.annotations?.[Annotations.takeover]).toContain('"app":"s0"');
    expect(proxyIps.some((ip) => appIps.includes(ip))).toBe(false);
    await waitFor(async () => JSON.stringify(await readyAddresses(ns, "sn0-ep")) === JSON.stringify(appIps), {
      description: "sn0-ep's EndpointSlices hold the application pods' IPs",
    });
    for (const [apiVersion, kind, name] of OWNED) expect(await get(apiVersion, kind, ns, name), `${kind} ${name}`).toBeDefined();
    const dr = (await get<KubeObject & { spec: { host: string; trafficPolicy: { loadBalancer: { simple: string } } } }>(
      "networking.istio.io/v1",
      "DestinationRule",
      ns,
      "ps-s0",
    ))!;
    expect(dr.spec.host).toBe(`sn0-ep.${ns}.svc.cluster.local`);
    expect(dr.spec.trafficPolicy.loadBalancer.simple).toBe("LEAST_REQUEST");
  });

  it("applies exactly what `proxy-service render` prints for the same input", async () => {
    const { ns } = h;
    const text = execFileSync(
      process.execPath,
      [path.join(repoRoot, "bin/proxy-service.js"), "render", "-n", ns, "-f", path.join(repoRoot, "example/proxy-service-example.yaml"), "-f", renderInput],
      { cwd: repoRoot, encoding: "utf8" },
    );
    const rendered = parseAllDocuments(text).map((d) => d.toJSON() as KubeObject).filter(Boolean);
    expect(rendered.length).toBeGreaterThanOrEqual(7);
    for (const obj of rendered) {
      const live = await get<KubeObject>(obj.apiVersion, obj.kind, ns, obj.metadata.name);
      expect(live, `${obj.kind} ${obj.metadata.name}`).toBeDefined();
      // render has no uid to put in ownerReferences; everything else must match the live object.
      const { ownerReferences: _o, ...metadata } = obj.metadata;
      expect(isSubset({ ...obj, metadata }, live), `${obj.kind} ${obj.metadata.name} differs from render`).toBe(true);
    }
  });

  it("carries spec updates to the owned objects, and a reconcile with nothing to change writes nothing (non-canonical quantities too)", async () => {
    const { ns } = h;
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0", {
      spec: {
        loadBalancer: "ROUND_ROBIN",
        uri: { matchUriPrefix: "/api", rewriteUri: "/" },
        autoscaling: { minReplicas: 2, maxReplicas: 4 },
        // Not in the API server's canonical form ("500m", "1Gi", "1", "1536Mi"): must still reach zero writes below.
        resources: { requests: { cpu: "0.5", memory: "1024Mi" }, limits: { cpu: "1000m", memory: "1.5Gi" } },
      },
    });
    await waitFor(async () => {
      const dr = await get<KubeObject & { spec: { trafficPolicy: { loadBalancer: { simple: string } } } }>("networking.istio.io/v1", "DestinationRule", ns, "ps-s0");
      const vs = await get<KubeObject>("networking.istio.io/v1", "VirtualService", ns, "ps-s0");
      const hpa = await get<KubeObject & { spec: { minReplicas: number; maxReplicas: number } }>("autoscaling/v2", "HorizontalPodAutoscaler", ns, "ps-s0");
      return (
        dr?.spec.trafficPolicy.loadBalancer.simple === "ROUND_ROBIN" &&
        JSON.stringify(vs).includes('"prefix":"/api"') &&
        hpa?.spec.minReplicas === 2 &&
        hpa.spec.maxReplicas === 4
      );
    }, { timeout: 30_000, description: "DestinationRule, VirtualService and HPA updated" });
    await waitReady(h.ns, "ps-s0");

    const versions = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      for (const [apiVersion, kind, name] of [...OWNED, ["v1", "Service", "sn0"] as [string, string, string]]) {
        out[`${kind}/${name}`] = (await get<KubeObject>(apiVersion, kind, ns, name))!.metadata.resourceVersion!;
      }
      const ps = (await getPs(ns, "ps-s0"))!;
      out.ProxyService = `${ps.metadata.generation}`;
      out.status = JSON.stringify(ps.status);
      return out;
    };
    const reconciles = async (): Promise<number> => {
      const text = await h.operator.metrics();
      return text
        .split("\n")
        .filter((l) => l.startsWith("controller_runtime_reconcile_total{"))
        .reduce((sum, l) => sum + Number(l.split(" ")[1]), 0);
    };
    // Let the operator settle (the HPA's own status updates trigger reconciles): wait until two polls in a
    // row see the same writes and the same resourceVersions, then take the audit.
    let last = "";
    await waitFor(async () => {
      const sample = JSON.stringify([writesExceptLeases(await h.operator.metrics()), await versions()]);
      const quiet = sample === last;
      last = sample;
      return quiet;
    }, { timeout: 30_000, interval: 1500, description: "the operator quiet" });
    const before = await versions();
    const writesBefore = writesExceptLeases(await h.operator.metrics());
    const reconcilesBefore = await reconciles();
    // An annotation change is an event on the ProxyService without a spec change: it triggers a reconcile.
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0", { metadata: { annotations: { poke: "1" } } });
    await waitFor(async () => (await reconciles()) > reconcilesBefore, { description: "a reconcile after the poke" });
    expect(await versions()).toEqual(before);
    expect(writesExceptLeases(await h.operator.metrics())).toBe(writesBefore);
  });

  it("recreates a hand-deleted DestinationRule and reverts a hand-edited Deployment", async () => {
    const { ns } = h;
    const dr = (await get<KubeObject>("networking.istio.io/v1", "DestinationRule", ns, "ps-s0"))!;
    await remove("networking.istio.io/v1", "DestinationRule", ns, "ps-s0");
    await waitFor(async () => {
      const again = await get<KubeObject>("networking.istio.io/v1", "DestinationRule", ns, "ps-s0");
      return again !== undefined && again.metadata.uid !== dr.metadata.uid;
    }, { description: "the DestinationRule recreated" });

    await mergePatch("apps/v1", "Deployment", ns, "ps-s0", {
      spec: { template: { spec: { serviceAccountName: "default" } } },
    });
    await waitFor(async () => {
      const dep = await get<KubeObject & { spec: { template: { spec: { serviceAccountName: string } } } }>("apps/v1", "Deployment", ns, "ps-s0");
      return dep?.spec.template.spec.serviceAccountName === "ps-s0";
    }, { description: "the Deployment edit reverted" });
  });

  it("tells the story in events on the ProxyService, naming the reporting controller", async () => {
    const reasons = await waitFor(async () => {
      const found = new Set((await psEvents(h.ns)).map((e) => e.reason));
      return ["ObjectApplied", "TargetServiceCreated", "ServiceTakenOver", "Ready"].every((r) => found.has(r)) ? found : undefined;
    }, { description: "the takeover's events" });
    expect(reasons.has("ProxyNotAvailable")).toBe(true);
    const events = await psEvents(h.ns);
    expect(events.every((e) => e.reportingController === "msvcbench.io/proxy-service-operator" && e.reportingInstance !== "")).toBe(true);
  });

  it("restores sn0's selector and ports exactly when the ProxyService is deleted, and removes everything else", async () => {
    const { ns } = h;
    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0");
    await waitFor(async () => (await getPs(ns, "ps-s0")) === undefined, { timeout: 30_000, description: "ps-s0 gone" });
    const sn0 = (await get<Service>("v1", "Service", ns, "sn0"))!;
    expect(sn0.spec.clusterIP).toBe(original.spec.clusterIP);
    expect(sn0.spec.selector).toEqual(original.spec.selector);
    expect(sn0.spec.ports).toEqual(original.spec.ports);
    expect(sn0.metadata.annotations?.[Annotations.takeover]).toBeUndefined();
    await waitFor(async () => {
      for (const [apiVersion, kind, name] of OWNED) if (await get(apiVersion, kind, ns, name)) return false;
      return true;
    }, { timeout: 30_000, description: "every owned object gone" });
    await waitFor(async () => (await readyAddresses(ns, "sn0")).length === 10, { description: "sn0 reaches the app pods again" });
    expect((await psEvents(ns)).map((e) => e.reason)).toContain("ServiceRestored");
    // Removing the finalizer once the ProxyService is gone must be "done", never an apply that tries to create it.
    const errors = readFileSync(h.operator.logFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{") && (JSON.parse(l) as { level: number }).level >= 50);
    expect(errors, "error lines in the operator's log").toEqual([]);
  });
});
