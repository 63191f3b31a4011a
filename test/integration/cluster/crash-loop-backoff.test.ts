import * as k8s from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { annotatePod, faultAnnotation, isPodReady } from "./kubelet-faults.js";
import { PrivateCluster } from "./local-cluster.js";

// Issue 16, point 4: a cluster made with `up -crash-loop-backoff 1s -crash-loop-backoff-max 4s` records
// them in cluster.json and its simulated kubelet backs off 1 s, 2 s, 4 s, 4 s: a crash loop a test can
// watch through several restarts in seconds. On a private cluster, as the setting is the cluster's.

const cluster = new PrivateCluster();
let core: k8s.CoreV1Api;
let ns: Awaited<ReturnType<typeof createTestNamespace>>;

beforeAll(async () => {
  await cluster.up("-crash-loop-backoff", "1s", "-crash-loop-backoff-max", "4s");
  const kc = cluster.kubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  ns = await createTestNamespace("lc-backoff", kc);
});
afterAll(async () => {
  await cluster.destroy();
});

describe("a cluster with a short crash-loop back-off", () => {
  it("records it and doubles it from 1 s up to its cap of 4 s", async () => {
    const recorded = JSON.parse(readFileSync(path.join(cluster.stateDir, "cluster.json"), "utf8")) as Record<string, unknown>;
    expect(recorded).toMatchObject({ crashLoopBackOff: "1s", crashLoopBackOffMax: "4s", nodeMonitorGracePeriod: "20s" });

    await core.createNamespacedPod({
      namespace: ns.name,
      body: { metadata: { name: "crash" }, spec: { containers: [{ name: "c", image: "registry.example/c:1" }] } },
    });
    await waitFor(async () => isPodReady(await core.readNamespacedPod({ name: "crash", namespace: ns.name })), {
      timeout: 60_000,
      description: "pod crash Ready",
    });
    await annotatePod(core, ns.name, "crash", { [faultAnnotation.crashLoop]: "true" });
    // The back-off each restart count shows in its CrashLoopBackOff message.
    const seen = new Map<number, string>();
    await waitFor(async () => {
      const status = (await core.readNamespacedPod({ name: "crash", namespace: ns.name })).status?.containerStatuses?.[0];
      const m = /^back-off (\S+) /.exec(status?.state?.waiting?.message ?? "");
      if (status && m && !seen.has(status.restartCount)) seen.set(status.restartCount, m[1]!);
      return seen.has(5);
    }, { timeout: 60_000, interval: 50, description: "5 restarts" });
    expect([1, 2, 3, 4, 5].map((n) => seen.get(n))).toEqual(["1s", "2s", "4s", "4s", "4s"]);
  });
});
