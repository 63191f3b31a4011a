import { describe, expect, it } from "vitest";
import { Reasons } from "../../src/api/conditions.js";
import { isProblem } from "../../src/controller/advisories.js";
import { summarizeProxyPod } from "../../src/controller/proxy-pods.js";
import { rolloutCondition, type DeploymentRollout } from "../../src/controller/rollout.js";
import type { KubeObject } from "../../src/kube/object.js";
import { proxyPod } from "./fixtures.js";

const deployment = (status: NonNullable<DeploymentRollout["status"]>, generation = 2, replicas = 1): DeploymentRollout => ({
  metadata: { name: "ps-s0", generation },
  spec: { replicas },
  status,
});

const unschedulable = summarizeProxyPod({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "ps-s0-new", namespace: "shop" },
  status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient cpu." }] },
} as KubeObject);

describe("rolloutCondition", () => {
  it("is RolledOut when every replica runs the current template", () => {
    const c = rolloutCondition(deployment({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), [proxyPod("Ready")], 3);
    expect(c).toMatchObject({ status: "True", reason: Reasons.RolledOut, observedGeneration: 3 });
  });
  it("is RollingOut while old pods remain and the new ones are on their way", () => {
    const c = rolloutCondition(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 1 }), [proxyPod("Ready"), proxyPod("NotReady", "new")], 1);
    expect(c).toMatchObject({ status: "False", reason: Reasons.RollingOut });
  });
  it("is RolloutStuck at once when a pod of the rollout is unschedulable, and names why", () => {
    const c = rolloutCondition(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 1 }), [proxyPod("Ready"), unschedulable], 1);
    expect(c?.reason).toBe(Reasons.RolloutStuck);
    expect(c?.message).toContain("Insufficient cpu");
    expect(c?.message).toContain("old proxy pods keep serving");
  });
  it("is RolloutStuck when the Deployment's progress deadline passed", () => {
    const c = rolloutCondition(
      deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "ReplicaSet has timed out progressing." }] }),
      [],
      1,
    );
    expect(c?.reason).toBe(Reasons.RolloutStuck);
    expect(c?.message).toContain("ProgressDeadlineExceeded");
  });
  it("leaves a crash loop after the rollout to the Ready condition", () => {
    const c = rolloutCondition(deployment({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 0 }), [proxyPod("NotReady")], 1);
    expect(c?.reason).toBe(Reasons.RolledOut);
  });
  it("is a problem (a Warning event) only when stuck", () => {
    expect(isProblem({ type: "ProxiesRolledOut", status: "False", reason: Reasons.RollingOut })).toBe(false);
    expect(isProblem({ type: "ProxiesRolledOut", status: "False", reason: Reasons.RolloutStuck })).toBe(true);
    expect(isProblem({ type: "Ready", status: "False", reason: Reasons.FellBack })).toBe(true);
  });
  it("says nothing before the Deployment exists", () => {
    expect(rolloutCondition(undefined, [], 1)).toBeUndefined();
  });
});
