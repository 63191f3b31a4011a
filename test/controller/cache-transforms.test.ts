import type { V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { slim, slimAuthorizationPolicy, slimDestinationRule, slimService } from "../../src/controller/cache-transforms.js";
import { FIELD_MANAGER } from "../../src/api/names.js";
import type { KubeObject } from "../../src/kube/object.js";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

describe("cache transforms", () => {
  it("slim drops managedFields and kubectl's last-applied copy, and keeps the other annotations", () => {
    const obj: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "ns", annotations: { [LAST_APPLIED]: "{}", keep: "yes" }, managedFields: [{ manager: "kubectl" }] },
    };
    expect(slim(obj).metadata).toEqual({ name: "c", namespace: "ns", annotations: { keep: "yes" } });
  });

  it("a Service keeps of managedFields only who wrote spec.selector and when", () => {
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "sn0",
        namespace: "ns",
        managedFields: [
          { manager: "kubectl", operation: "Apply", time: new Date("2026-01-01T00:00:00Z"), fieldsV1: { "f:spec": { "f:selector": { "f:app": {} }, "f:ports": {} } } },
          { manager: FIELD_MANAGER, operation: "Apply", time: new Date("2026-01-02T00:00:00Z"), fieldsV1: { "f:spec": { "f:selector": {} } } },
          { manager: "kube-controller-manager", operation: "Update", fieldsV1: { "f:status": {} } },
          { manager: "argocd", operation: "Apply", fieldsV1: { "f:metadata": { "f:labels": {} } } },
        ],
      },
      spec: { selector: { app: "s0" }, ports: [{ port: 80 }] },
    } as unknown as V1Service & KubeObject;
    const kept = slimService(service);
    expect(kept.metadata.managedFields).toEqual([
      { manager: "kubectl", operation: "Apply", time: new Date("2026-01-01T00:00:00Z"), fieldsV1: { "f:spec": { "f:selector": {} } } },
      { manager: FIELD_MANAGER, operation: "Apply", time: new Date("2026-01-02T00:00:00Z"), fieldsV1: { "f:spec": { "f:selector": {} } } },
    ]);
    expect(kept.spec).toEqual(service.spec);
    expect("managedFields" in slimService({ ...service, metadata: { name: "x", namespace: "ns" } }).metadata).toBe(false);
  });

  it("a user's DestinationRule keeps only what the DestinationRules condition reads; ours stays whole", () => {
    const user: KubeObject = {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "r", namespace: "ns", uid: "u1", resourceVersion: "5", creationTimestamp: "2026-01-01T00:00:00Z", labels: { team: "a" }, annotations: { note: "x" } },
      spec: {
        host: "sn0.ns.svc.cluster.local",
        exportTo: ["."],
        workloadSelector: { matchLabels: { app: "x" } },
        subsets: [{ name: "v1", labels: { version: "v1" } }],
        trafficPolicy: {
          connectionPool: { tcp: { maxConnections: 10 } },
          loadBalancer: { simple: "ROUND_ROBIN" },
          tls: { mode: "SIMPLE", sni: "x" },
          portLevelSettings: [{ port: { number: 80 }, tls: { mode: "DISABLE" }, outlierDetection: {} }],
        },
      },
    } as unknown as KubeObject;
    expect(slimDestinationRule(user)).toEqual({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "r", namespace: "ns", uid: "u1", resourceVersion: "5", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: {
        host: "sn0.ns.svc.cluster.local",
        exportTo: ["."],
        workloadSelector: { matchLabels: { app: "x" } },
        trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" }, tls: { mode: "SIMPLE" }, portLevelSettings: [{ port: { number: 80 }, tls: { mode: "DISABLE" } }] },
      },
    });
    // A trafficPolicy with nothing the condition reads still wins a merge whole, so it stays, empty.
    const onlyPool = { ...user, spec: { host: "h", trafficPolicy: { connectionPool: {} } } } as KubeObject;
    expect((slimDestinationRule(onlyPool) as unknown as { spec: unknown }).spec).toEqual({ host: "h", trafficPolicy: {} });
    const ours = { ...user, metadata: { ...user.metadata, ownerReferences: [{ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: "ps", uid: "p", controller: true }] } } as KubeObject;
    expect((slimDestinationRule(ours) as unknown as { spec: unknown }).spec).toEqual((user as unknown as { spec: unknown }).spec);
  });

  it("an AuthorizationPolicy loses its status and managedFields, and keeps its spec", () => {
    const policy = { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "p", namespace: "ns", managedFields: [{}] }, spec: { action: "DENY" }, status: { validationMessages: [] } } as KubeObject;
    expect(slimAuthorizationPolicy(policy)).toEqual({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "p", namespace: "ns" }, spec: { action: "DENY" } });
  });
});
