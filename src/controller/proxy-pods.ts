import { Labels } from "../api/labels.js";
import { OPERATOR_NAME } from "../api/names.js";
import { timeOf, type KubeObject } from "../kube/object.js";

/**
 * What the operator keeps of a proxy pod: whether it serves, since when, and why not. The pods are the
 * first place a proxy's failure shows (the EndpointSlices follow them), and their state names the cause
 * that the FellBack condition reports. Only pods carrying the proxy label are watched, so the cache grows
 * with the proxies, not with the cluster.
 */
export interface ProxyPodSummary extends KubeObject {
  /** Ready and not being deleted: it takes new connections and will keep doing so. */
  readonly serving: boolean;
  /** Being deleted (deletion, eviction, drain, scale-down, rollout) but still Ready: it drains its connections. */
  readonly draining: boolean;
  /** When its Ready condition last turned True (ms since the epoch); undefined while not Ready. */
  readonly readySince?: number;
  /** Why it does not serve, as a short phrase ("Pending: 0/3 nodes are available ..."); undefined when it serves. */
  readonly notServingBecause?: string;
}

interface Pod extends KubeObject {
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string; readonly lastTransitionTime?: string }[];
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly restartCount?: number;
      readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string } };
    }[];
  };
}

/** The informer's transform for proxy pods. */
export function summarizeProxyPod(object: KubeObject): ProxyPodSummary {
  const pod = object as Pod;
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  const isReady = ready?.status === "True";
  const isDeleted = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  const serving = isReady && !isDeleted;
  const why = serving ? undefined : notServingBecause(pod, isReady, isDeleted);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      resourceVersion: pod.metadata.resourceVersion,
      labels: pick(pod.metadata.labels, [Labels.proxy, Labels.instance, Labels.managedBy]),
      ...(isDeleted ? { deletionTimestamp: pod.metadata.deletionTimestamp } : {}),
    },
    serving,
    draining: isReady && isDeleted,
    ...(isReady && ready.lastTransitionTime !== undefined ? { readySince: timeOf(ready.lastTransitionTime) } : {}),
    ...(why !== undefined ? { notServingBecause: why } : {}),
  };
}

/** The label selector of the proxy-pod watch: every pod the operator's Deployments make carries both. */
export const PROXY_POD_SELECTOR = `${Labels.managedBy}=${OPERATOR_NAME},${Labels.proxy}`;

function notServingBecause(pod: Pod, isReady: boolean, isDeleted: boolean): string {
  const name = `pod "${pod.metadata.name}"`;
  if (isDeleted) return `${name} is terminating (deleted, evicted, drained or scaled down)`;
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False") {
    return `${name} is Pending: ${scheduled.reason ?? "not scheduled"}${scheduled.message ? ` (${scheduled.message})` : ""}`;
  }
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting?.reason !== undefined);
  if (waiting?.state?.waiting?.reason === "CrashLoopBackOff") {
    return `${name} is crash-looping (container "${waiting.name}" restarted ${waiting.restartCount ?? 0} times)`;
  }
  if (waiting !== undefined) return `${name} is waiting: ${waiting.state?.waiting?.reason ?? "unknown"}`;
  if (pod.status?.phase === "Running" && !isReady) return `${name} is Running but not Ready (failing its readiness probe)`;
  return `${name} is ${pod.status?.phase ?? "Pending"}`;
}

function pick(labels: Readonly<Record<string, string>> | undefined, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (labels?.[k] !== undefined) out[k] = labels[k];
  return out;
}
