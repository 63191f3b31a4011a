import type { V1Service } from "@kubernetes/client-node";
import type { MeanLatencyPredictor } from "../../src/api/balancing.js";
import type { ProxyService } from "../../src/api/types.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { Observed } from "../../src/controller/observe.js";
import { observeRecord } from "../../src/api/takeover.js";
import { Labels, proxySelectorValue } from "../../src/api/labels.js";
import { OPERATOR_NAME } from "../../src/api/names.js";
import { FallbackTracker } from "../../src/controller/availability.js";
import { summarizeProxyPod, type ProxyPodSummary } from "../../src/controller/proxy-pods.js";

export const NS = "shop";

/** A predictor for tests that do not judge GlobalView: every layout equally fast, so no warning ever fires. */
export const flatPredictor: MeanLatencyPredictor = () => 1;

/** The published example: ps-s0 in front of sn0 on port 80. */
export function proxyService(overrides: Partial<ProxyService["spec"]> = {}, name = "ps-s0"): ProxyService & KubeObject {
  return {
    apiVersion: "msvcbench.io/v1alpha1",
    kind: "ProxyService",
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1, creationTimestamp: new Date("2026-01-01T00:00:00Z") },
    spec: { serviceName: "sn0", loadBalancer: "LEAST_REQUEST", target: "sn0-ep", port: 80, ...overrides },
  };
}

export function service(name: string, selector: Record<string, string>, extra: Partial<V1Service["metadata"]> = {}): V1Service & KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NS, resourceVersion: "1", ...extra },
    spec: { type: "ClusterIP", clusterIP: "10.0.0.10", selector, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
  };
}

/** What observe would return; the takeover record is decoded from the given Service, as observe does. */
export function observed(partial: Partial<Observed> = {}): Observed {
  return {
    owned: new Map(),
    selectorManagers: [],
    reverts: { times: [], now: 0 }, // no revert seen
    targetReadyEndpoints: 0,
    authorizationPolicies: [],
    otherDestinationRules: [],
    proxyPods: [],
    recentFallbacks: 0,
    sinceLastFallbackMs: Infinity,
    now: 0,
    // By default the EndpointSlice controller has caught up: the Service lists every serving proxy pod.
    serviceEndpoints: { service: "sn0", ready: (partial.proxyPods ?? []).filter((p) => p.serving).length, writtenAt: undefined },
    ...observeRecord(partial.service),
    ...partial,
  };
}

/** A proxy pod of ps-s0 as the pod cache keeps it: `state` as a kubelet would report it, Ready since `readySince`. */
export function proxyPod(
  state: "Ready" | "NotReady" | "Terminating" | "TerminatingNotReady",
  name = "ps-s0-abc",
  readySince = 0,
): ProxyPodSummary {
  const ready = state === "Ready" || state === "Terminating";
  const deleted = state === "Terminating" || state === "TerminatingNotReady";
  return summarizeProxyPod({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: NS,
      labels: { [Labels.proxy]: proxySelectorValue(NS, "ps-s0"), [Labels.instance]: "ps-s0", [Labels.managedBy]: OPERATOR_NAME },
      ...(deleted ? { deletionTimestamp: new Date(readySince) } : {}),
    },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date(readySince).toISOString() }],
    },
  } as KubeObject);
}

/** The operator's in-memory state beside the caches, fresh as a new process has it; transitions are counted in `counted`. */
export function freshMemory(): { fallbacks: FallbackTracker; transitions: { countTransition(t: string): void }; counted: string[] } {
  const counted: string[] = [];
  return { fallbacks: new FallbackTracker(), transitions: { countTransition: (t: string) => void counted.push(t) }, counted };
}
