import path from "node:path";
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll } from "vitest";

/**
 * Path of the admin kubeconfig that `hack/local-cluster.sh up` writes: in its state directory,
 * `.local-cluster/` or `$LOCAL_CLUSTER_STATE_DIR` (a private cluster, e.g. for tests that restart it).
 */
export const adminKubeconfigPath = path.join(
  process.env.LOCAL_CLUSTER_STATE_DIR ?? path.resolve(import.meta.dirname, "../../../.local-cluster"),
  "kubeconfig",
);

/** A KubeConfig for the local control plane's admin (system:masters). */
export function adminKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(adminKubeconfigPath);
  return kc;
}

/**
 * Creates a namespace with a random suffix for one test and returns its name and a cleanup
 * function that deletes it, so tests can run in parallel and leave nothing behind.
 */
export async function createTestNamespace(
  prefix: string,
  kc: k8s.KubeConfig = adminKubeConfig(),
): Promise<{ name: string; cleanup: () => Promise<void> }> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString("hex")}`.slice(0, 63);
  await core.createNamespace({ body: { metadata: { name, labels: { "proxy-service-test": "true" } } } });
  return {
    name,
    cleanup: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/**
 * Gives the calling test file a namespace of its own: created before its tests, deleted after them
 * (vitest's beforeAll/afterAll, registered here). Read `.name` inside tests or hooks, not at import time.
 */
export function useTestNamespace(prefix: string, kc: k8s.KubeConfig = adminKubeConfig()): { readonly name: string } {
  let ns: Awaited<ReturnType<typeof createTestNamespace>> | undefined;
  beforeAll(async () => {
    ns = await createTestNamespace(prefix, kc);
  });
  afterAll(async () => {
    await ns?.cleanup();
  });
  return {
    get name(): string {
      if (ns === undefined) throw new Error(`namespace "${prefix}-…" is read before beforeAll created it`);
      return ns.name;
    },
  };
}
