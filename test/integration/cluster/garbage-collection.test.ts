import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { adminKubeConfig, useTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { statusCode } from "./local-cluster.js";

// Acceptance 2 of issue 2: the real garbage collector deletes dependents through ownerReferences,
// in the background and in the foreground.

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const ns = useTestNamespace("lc-gc", kc);

async function isGone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if (statusCode(err) === 404) return true;
    throw err;
  }
}

describe("garbage collection", () => {
  it("deletes dependents in the background after their owner is deleted", async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: "owner" } } });
    const ownerRef = { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata!.uid! };
    for (const name of ["dep-1", "dep-2"]) {
      await core.createNamespacedConfigMap({
        namespace: ns.name,
        body: { metadata: { name, ownerReferences: [ownerRef] } },
      });
    }
    // A ConfigMap that merely shares the name prefix but has no owner must stay.
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: "dep-unowned" } } });

    await core.deleteNamespacedConfigMap({ name: "owner", namespace: ns.name, propagationPolicy: "Background" });
    for (const name of ["dep-1", "dep-2"]) {
      await waitFor(() => isGone(() => core.readNamespacedConfigMap({ name, namespace: ns.name })), {
        timeout: 60_000,
        description: `dependent ${name} deleted`,
      });
    }
    await expect(core.readNamespacedConfigMap({ name: "dep-unowned", namespace: ns.name })).resolves.toBeTruthy();
  });

  it("keeps a foreground-deleted owner, with the foregroundDeletion finalizer, until its dependents are gone", async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: "fg-owner" } } });
    const ownerRef = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "fg-owner",
      uid: owner.metadata!.uid!,
      blockOwnerDeletion: true,
    };
    // A finalizer holds the dependent, so the owner's wait can be observed without a race.
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: "fg-dep", ownerReferences: [ownerRef], finalizers: ["test.msvcbench.io/hold"] } },
    });

    await core.deleteNamespacedConfigMap({ name: "fg-owner", namespace: ns.name, propagationPolicy: "Foreground" });
    const dependent = await waitFor(async () => {
      const dep = await core.readNamespacedConfigMap({ name: "fg-dep", namespace: ns.name });
      return dep.metadata?.deletionTimestamp ? dep : undefined;
    }, { timeout: 60_000, description: "the garbage collector to delete fg-dep" });
    const waiting = await core.readNamespacedConfigMap({ name: "fg-owner", namespace: ns.name });
    expect(waiting.metadata?.deletionTimestamp).toBeTruthy();
    expect(waiting.metadata?.finalizers).toContain("foregroundDeletion");

    dependent.metadata!.finalizers = [];
    await core.replaceNamespacedConfigMap({ name: "fg-dep", namespace: ns.name, body: dependent });
    for (const name of ["fg-dep", "fg-owner"]) {
      await waitFor(() => isGone(() => core.readNamespacedConfigMap({ name, namespace: ns.name })), {
        timeout: 60_000,
        description: `${name} deleted`,
      });
    }
  });

  it("deletes a Deployment in the foreground only after its ReplicaSet and pods", async () => {
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: "fg" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "fg" } },
          template: {
            metadata: { labels: { app: "fg" } },
            spec: { containers: [{ name: "c", image: "registry.example/c:1" }] },
          },
        },
      },
    });
    await waitFor(async () => {
      const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=fg" });
      return pods.items.filter((p) => p.status?.phase === "Running").length === 2;
    }, { timeout: 60_000, description: "2 Running pods of fg" });

    await apps.deleteNamespacedDeployment({ name: "fg", namespace: ns.name, propagationPolicy: "Foreground" });
    await waitFor(() => isGone(() => apps.readNamespacedDeployment({ name: "fg", namespace: ns.name })), {
      timeout: 60_000,
      description: "deployment fg deleted",
    });
    // Foreground: by the time the owner is gone, so are its dependents.
    const replicaSets = await apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: "app=fg" });
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=fg" });
    expect(replicaSets.items).toHaveLength(0);
    expect(pods.items).toHaveLength(0);
  });
});
