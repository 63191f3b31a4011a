import type { V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { compact, intern, internedCount, ownedTransform, slim, slimAuthorizationPolicy, slimDeployment, slimDestinationRule, slimService } from "../../src/controller/cache-transforms.js";
import { rolloutCondition, type DeploymentRollout } from "../../src/controller/rollout.js";
import { Resources } from "../../src/kube/resources.js";
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
          { manager: "kubectl", operation: "Apply", time: "2026-01-01T00:00:00Z", fieldsV1: { "f:spec": { "f:selector": { "f:app": {} }, "f:ports": {} } } },
          { manager: FIELD_MANAGER, operation: "Apply", time: "2026-01-02T00:00:00Z", fieldsV1: { "f:spec": { "f:selector": {} } } },
          { manager: "kube-controller-manager", operation: "Update", fieldsV1: { "f:status": {} } },
          { manager: "argocd", operation: "Apply", fieldsV1: { "f:metadata": { "f:labels": {} } } },
        ],
      },
      spec: { selector: { app: "s0" }, ports: [{ port: 80 }] },
    } as unknown as V1Service & KubeObject;
    const kept = slimService(service);
    expect(kept.metadata.managedFields).toEqual([
      { manager: "kubectl", operation: "Apply", time: "2026-01-01T00:00:00Z", fieldsV1: { "f:spec": { "f:selector": {} } } },
      { manager: FIELD_MANAGER, operation: "Apply", time: "2026-01-02T00:00:00Z", fieldsV1: { "f:spec": { "f:selector": {} } } },
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

  it("a proxy Deployment keeps its spec and of its status what the rollout rule reads, with the same outcome", () => {
    const deployment = (status: Record<string, unknown>): KubeObject =>
      ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "ps", namespace: "ns", generation: 3, managedFields: [{ manager: "m" }] },
        spec: { replicas: 2, template: { spec: { containers: [{ name: "istio-proxy", image: "auto", imagePullPolicy: "IfNotPresent" }] } } },
        status,
      }) as unknown as KubeObject;
    const condition = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
      type,
      status,
      reason,
      message,
      lastUpdateTime: "2026-01-01T00:00:00Z",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    });
    const statuses = [
      { observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")] },
      { observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2, unavailableReplicas: 1, conditions: [condition("Progressing", "True", "ReplicaSetUpdated", "progressing")] },
      { observedGeneration: 3, replicas: 2, updatedReplicas: 1, conditions: [condition("Progressing", "False", "ProgressDeadlineExceeded", "too slow")] },
      { observedGeneration: 3, conditions: [condition("ReplicaFailure", "True", "FailedCreate", "exceeded quota")] },
    ];
    for (const status of statuses) {
      const original = deployment(status);
      const kept = slimDeployment(original);
      expect((kept as unknown as { spec: unknown }).spec).toEqual((original as unknown as { spec: unknown }).spec);
      expect("managedFields" in kept.metadata).toBe(false);
      expect(rolloutCondition(kept as unknown as DeploymentRollout, [], 1)).toEqual(rolloutCondition(original as unknown as DeploymentRollout, [], 1));
      const keptStatus = (kept as unknown as { status: { conditions: Record<string, string>[] } }).status;
      expect(keptStatus.conditions).toEqual(status.conditions.map(({ type, status: s, reason, message }) => ({ type, status: s, reason, message })));
      expect(Object.keys(keptStatus).every((k) => ["observedGeneration", "replicas", "updatedReplicas", "availableReplicas", "conditions"].includes(k))).toBe(true);
    }
    expect("status" in slimDeployment(deployment({}) as KubeObject & { status?: unknown })).toBe(true);
    const { status: _none, ...noStatus } = deployment({}) as KubeObject & { status?: unknown };
    expect("status" in slimDeployment(noStatus)).toBe(false);
  });

  it("the other owned kinds lose status (no reader) and keep their spec; each kind gets its transform", () => {
    const hpa = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "ps", namespace: "ns", managedFields: [{}] },
      spec: { minReplicas: 1, maxReplicas: 5 },
      status: { currentReplicas: 1, desiredReplicas: 1, conditions: [{ type: "AbleToScale", status: "True", message: "the HPA controller was able to get the target's current scale" }] },
    } as KubeObject;
    expect(ownedTransform(Resources.hpa)(hpa)).toEqual({ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "ps", namespace: "ns" }, spec: { minReplicas: 1, maxReplicas: 5 } });
    const pdb = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "ps", namespace: "ns" }, spec: { minAvailable: 1 }, status: { disruptionsAllowed: 1 } } as KubeObject;
    expect(ownedTransform(Resources.pdb)(pdb)).toEqual({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "ps", namespace: "ns" }, spec: { minAvailable: 1 } });
    expect(ownedTransform(Resources.deployment)).toBe(slimDeployment);
    expect(ownedTransform(Resources.destinationRule)).toBe(slimDestinationRule);
    const ours = {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "ps", namespace: "ns", ownerReferences: [{ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: "ps", uid: "p", controller: true }] },
      spec: { host: "h", trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" } } },
      status: { validationMessages: [] },
    } as KubeObject;
    expect("status" in slimDestinationRule(ours)).toBe(false);
    expect((slimDestinationRule(ours) as unknown as { spec: unknown }).spec).toEqual((ours as unknown as { spec: unknown }).spec);
  });

  it("slim keeps the namespace, labels and owner references as they are, pooling each distinct string once", () => {
    const deployment = (name: string, owner: string): KubeObject => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name,
        namespace: "bench-ns",
        labels: { "app.kubernetes.io/managed-by": "proxy-service-operator", "app.kubernetes.io/instance": owner },
        ownerReferences: [{ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: owner, uid: `uid-${owner}`, controller: true }],
      },
    });
    const original = deployment("a", "ps-0");
    expect(slim(original).metadata).toEqual(original.metadata);
    const before = internedCount();
    // 100 objects of 10 owners: namespace, the managed-by value, apiVersion, kind, and each owner's name and uid.
    for (let i = 0; i < 100; i++) slim(deployment(`d-${i}`, `ps-${i % 10}`));
    expect(internedCount() - before).toBeLessThanOrEqual(2 * 10);
    expect(internedCount() - before).toBeGreaterThan(0);
  });

  it("compact gives an equal object of its own, its metadata's repeated strings pooled", () => {
    const owner = { apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", name: "ps-7", uid: "u-7", controller: true };
    const make = (): KubeObject => ({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "ps-7", namespace: ["compact", "ns"].join("-"), labels: { app: ["a", "7"].join("") }, ownerReferences: [{ ...owner, name: ["ps", "7"].join("-") }] },
    });
    const a = make();
    const kept = compact(a);
    expect(kept).toEqual(a);
    expect(kept).not.toBe(a);
    expect(kept.metadata).not.toBe(a.metadata);
    const before = internedCount();
    compact(make());
    // The second object's namespace, label value and owner reference strings are the pool's, already there.
    expect(internedCount()).toBe(before);
  });

  it("the string pool stays bounded: it starts afresh when full", () => {
    for (let i = 0; i < 25_000; i++) intern(`value-${i}`);
    expect(internedCount()).toBeLessThanOrEqual(20_000);
    expect(intern("value-24999")).toBe("value-24999");
  });
});
