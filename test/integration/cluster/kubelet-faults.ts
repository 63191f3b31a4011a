import * as k8s from "@kubernetes/client-node";
import { localCluster } from "./local-cluster.js";

// The simulated kubelet's faults (docs/local-cluster.md, "Faults: the interface"), for tests: every
// fault is an annotation, patched onto a pod or a Node with the admin client.

/** The annotations the simulated kubelet reads. */
export const faultAnnotation = {
  /** Pod: "true" keeps it Running but not Ready (a failing readiness probe). */
  unready: "local-cluster.msvcbench.io/unready",
  /** Pod: "N" makes each container start Ready only N seconds after it started. */
  readyAfterSeconds: "local-cluster.msvcbench.io/ready-after-seconds",
  /** Pod: "true" makes its containers exit right after each start (CrashLoopBackOff). */
  crashLoop: "local-cluster.msvcbench.io/crash-loop",
  /** Pod: "N" makes its containers crash until their restartCount reaches N. */
  crashes: "local-cluster.msvcbench.io/crashes",
  /** Pod: "N" makes its containers take N seconds to exit once it is deleted (bounded by the grace period). */
  stopSeconds: "local-cluster.msvcbench.io/stop-seconds",
  /** Node: "true" stops its kubelet (no Lease renewal, no status, no pod sync). */
  kubeletStopped: "local-cluster.msvcbench.io/kubelet-stopped",
} as const;

const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

/** Sets (a string) or removes (null) annotations of a pod. */
export async function annotatePod(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
  annotations: Record<string, string | null>,
): Promise<k8s.V1Pod> {
  return core.patchNamespacedPod({ name, namespace, body: { metadata: { annotations } } }, mergePatch);
}

/** Stops or starts a node's kubelet through `hack/local-cluster.sh node` (of the cluster in $LOCAL_CLUSTER_STATE_DIR, else the shared one). */
export async function setNodeKubelet(action: "stop" | "start", node: string): Promise<void> {
  const result = await localCluster("node", action, node);
  if (result.code !== 0) throw new Error(`hack/local-cluster.sh node ${action} ${node} exited ${result.code}: ${result.stderr}`);
}

/** The status of a pod's condition, e.g. "Ready", or undefined if it has none. */
export function podCondition(pod: k8s.V1Pod, type: string): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)?.status;
}

export const isPodReady = (pod: k8s.V1Pod): boolean => podCondition(pod, "Ready") === "True";

/** The status of a Node's Ready condition ("True", "False", "Unknown"). */
export function nodeReady(node: k8s.V1Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status;
}

/** The endpoints of a Service across its EndpointSlices. */
export async function endpointsOf(discovery: k8s.DiscoveryV1Api, namespace: string, service: string): Promise<k8s.V1Endpoint[]> {
  const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
  return slices.items.flatMap((s) => s.endpoints ?? []);
}

/** Reads a pod, or undefined once it is gone. */
export async function readPod(core: k8s.CoreV1Api, namespace: string, name: string): Promise<k8s.V1Pod | undefined> {
  try {
    return await core.readNamespacedPod({ name, namespace });
  } catch (err) {
    if (typeof err === "object" && err !== null && "code" in err && err.code === 404) return undefined;
    throw err;
  }
}

/**
 * Calls `observe` every `intervalMs` until `stop`, keeping each result with the time it was taken: a
 * record of what the cluster showed over a stretch of time, for assertions about all of it ("Ready
 * throughout"), not a way to wait.
 */
export function sample<T>(observe: () => Promise<T>, intervalMs = 100): { samples: { at: number; value: T }[]; stop: () => Promise<void> } {
  const samples: { at: number; value: T }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        samples.push({ at, value: await observe() });
      } catch {
        // an API error in one sample leaves a gap; the assertions look at what was seen
      }
      const wait = intervalMs - (Date.now() - at);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
