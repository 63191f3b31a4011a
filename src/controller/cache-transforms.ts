import type { V1ManagedFieldsEntry, V1Service } from "@kubernetes/client-node";
import type { KubeObject } from "../kube/object.js";
import { isControlledByProxyService } from "../api/ownership.js";
import { Resources, type ResourceType } from "../kube/resources.js";
import type { DeploymentRollout } from "./rollout.js";

// What each cache keeps of an object, in one place: the informers apply these to every object as it arrives
// (each list page, each watch event), so only the kept part is ever retained. docs/operator.md, "Caches",
// has the sizes behind each choice (issue 17).

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * One copy of each string the cached objects repeat: every object of a namespace names it, and each owned
 * object names its ProxyService and carries the same labels, but JSON.parse gives each its own copy. At 1,000
 * ProxyServices these copies were several MiB of the heap (issue 17). Cleared when full, so it stays bounded
 * whatever the churn: the strings the caches hold stay valid, later ones are pooled afresh.
 */
const pool = new Map<string, string>();
const POOL_LIMIT = 20_000;

export function intern(s: string): string {
  const known = pool.get(s);
  if (known !== undefined) return known;
  if (pool.size >= POOL_LIMIT) pool.clear();
  pool.set(s, s);
  return s;
}

/** How many strings the pool holds now (tests: it grows with the distinct values, never past its limit). */
export const internedCount = (): number => pool.size;

/**
 * The form every cache keeps an object in: built again by JSON.parse, with the strings every cached object
 * repeats (the namespace, the label values, the owner references) pooled (`intern`).
 *
 * Why the round trip: the transforms build their result by spread and rest, and V8 gives such objects
 * out-of-object property stores, and often a hidden class of their own (a heap snapshot at 1,000 ProxyServices
 * counted 34,000 hidden classes, 13,800 of them used by a single object). JSON.parse builds every object of one
 * kind with the same hidden classes and in-object properties. Measured in a bare process on the ten cached
 * objects of one real ProxyService, 1,000 copies each: 16.0 MiB retained before, 13.0 MiB after (issue 17;
 * docs/operator.md, "Caches"). It costs a stringify and a parse of the kept part (1-3 KB) per cached event.
 */
export function compact<T extends KubeObject>(obj: T): T {
  const copy = JSON.parse(JSON.stringify(obj)) as T;
  const { metadata } = copy;
  if (typeof metadata.namespace === "string") metadata.namespace = intern(metadata.namespace);
  const labels = metadata.labels as Record<string, unknown> | undefined;
  if (labels) for (const [k, v] of Object.entries(labels)) if (typeof v === "string") labels[k] = intern(v);
  for (const r of metadata.ownerReferences ?? []) {
    r.apiVersion = intern(r.apiVersion);
    r.kind = intern(r.kind);
    r.name = intern(r.name);
    r.uid = intern(r.uid);
  }
  return copy;
}

/** What `slim` drops: managedFields and kubectl's last-applied copy. Not compacted: each transform compacts its result once. */
function stripped<T extends KubeObject>(obj: T): T {
  const { managedFields: _managedFields, annotations, ...metadata } = obj.metadata;
  const kept = annotations && LAST_APPLIED in annotations ? Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== LAST_APPLIED)) : annotations;
  return { ...obj, metadata: { ...metadata, ...(kept ? { annotations: kept } : {}) } };
}

/**
 * Drops from a cached object what the reconciler never reads (managedFields, kubectl's last-applied copy),
 * as client-go's TransformStripManagedFields does: they are often most of an object's size. Compacted.
 */
export function slim<T extends KubeObject>(obj: T): T {
  return compact(stripped(obj));
}

type FieldsV1 = Record<string, Record<string, unknown> | undefined>;

/**
 * A Service as the reconciler reads it: slim, but keeping of managedFields the managers that own
 * spec.selector and when they wrote it, which is all the revert rule reads (observe.ts, selectorManagers).
 * The managedFields were 55 % of a cached Service (3.1 KB with them, 1.4 KB without, at 10,000 Services).
 */
export function slimService<T extends V1Service & KubeObject>(service: T): T {
  const managedFields = (service.metadata.managedFields ?? [])
    .filter((m) => {
      const spec = (m.fieldsV1 as FieldsV1 | undefined)?.["f:spec"];
      return spec !== undefined && "f:selector" in spec;
    })
    .map((m): V1ManagedFieldsEntry => ({
      ...(m.manager !== undefined ? { manager: m.manager } : {}),
      ...(m.operation !== undefined ? { operation: m.operation } : {}),
      ...(m.time !== undefined ? { time: m.time } : {}),
      fieldsV1: { "f:spec": { "f:selector": {} } },
    }));
  const slimmed = stripped(service);
  return compact(managedFields.length > 0 ? { ...slimmed, metadata: { ...slimmed.metadata, managedFields } } : slimmed);
}

interface DestinationRuleFields {
  readonly spec?: {
    readonly host?: string;
    readonly exportTo?: readonly string[];
    readonly workloadSelector?: { readonly matchLabels?: Readonly<Record<string, string>> };
    readonly trafficPolicy?: {
      readonly loadBalancer?: { readonly simple?: string };
      readonly tls?: { readonly mode?: string };
      readonly portLevelSettings?: readonly { readonly port?: { readonly number?: number }; readonly tls?: { readonly mode?: string } }[];
    };
  };
}

/**
 * A DestinationRule: ours (a ProxyService controls it) is kept slim but whole, since the plan compares
 * it with the desired one; a user's is kept only as far as the DestinationRules condition reads it
 * (src/api/destination-rule-conflicts.ts: host, exportTo, workloadSelector, which trafficPolicy wins and
 * its TLS modes, creationTimestamp for istiod's order). Users' rules are cached in every namespace.
 */
export function slimDestinationRule(rule: KubeObject): KubeObject {
  if (isControlledByProxyService(rule)) return slimWithoutStatus(rule);
  const spec = (rule as DestinationRuleFields).spec;
  const policy = spec?.trafficPolicy;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = rule.metadata;
  return compact({
    apiVersion: rule.apiVersion,
    kind: rule.kind,
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: {
      ...(spec?.host !== undefined ? { host: spec.host } : {}),
      ...(spec?.exportTo !== undefined ? { exportTo: spec.exportTo } : {}),
      ...(spec?.workloadSelector?.matchLabels !== undefined ? { workloadSelector: { matchLabels: spec.workloadSelector.matchLabels } } : {}),
      // Kept even when empty: the first merged rule that has a trafficPolicy wins whole, whatever it holds.
      ...(policy !== undefined
        ? {
            trafficPolicy: {
              ...(policy.loadBalancer?.simple !== undefined ? { loadBalancer: { simple: policy.loadBalancer.simple } } : {}),
              ...(policy.tls?.mode !== undefined ? { tls: { mode: policy.tls.mode } } : {}),
              ...(policy.portLevelSettings !== undefined
                ? { portLevelSettings: policy.portLevelSettings.map((s) => ({ ...(s.port !== undefined ? { port: s.port } : {}), ...(s.tls?.mode !== undefined ? { tls: { mode: s.tls.mode } } : {}) })) }
                : {}),
            },
          }
        : {}),
    },
  } as KubeObject);
}

/** An AuthorizationPolicy: slim, and without status (istiod's), since the CallerIdentity condition reads the spec only. */
export function slimAuthorizationPolicy(policy: KubeObject): KubeObject {
  const { status: _status, ...rest } = stripped(policy) as KubeObject & { status?: unknown };
  return compact(rest);
}

/**
 * An owned object whose status no reader uses (HPA, PodDisruptionBudget, ServiceAccount, Istio's kinds): slim
 * and without status. The plan compares only the fields it renders, and it renders no status. At 1,000
 * ProxyServices the HPAs' status (three conditions with long messages, current metrics) was a third of their
 * cache (issue 17).
 */
export function slimWithoutStatus(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = stripped(obj) as KubeObject & { status?: unknown };
  return compact(rest);
}

/**
 * A proxy Deployment: slim, and of its status only what the rollout rule (rollout.ts) and the Deployment's
 * problem (plan.ts) read: the replica counts, the observed generation and each condition's type, status,
 * reason and message (not their times).
 */
export function slimDeployment(deployment: KubeObject): KubeObject {
  const { status, ...rest } = stripped(deployment) as KubeObject & Pick<DeploymentRollout, "status">;
  if (status === undefined || status === null) return compact(rest);
  const { observedGeneration, replicas, updatedReplicas, availableReplicas, conditions } = status;
  return compact({
    ...rest,
    status: {
      ...(observedGeneration !== undefined ? { observedGeneration } : {}),
      ...(replicas !== undefined ? { replicas } : {}),
      ...(updatedReplicas !== undefined ? { updatedReplicas } : {}),
      ...(availableReplicas !== undefined ? { availableReplicas } : {}),
      ...(conditions !== undefined && conditions !== null
        ? { conditions: conditions.map(({ type, status: s, reason, message }) => ({ type, status: s, ...(reason !== undefined ? { reason } : {}), ...(message !== undefined ? { message } : {}) })) }
        : {}),
    },
  } as KubeObject);
}

/** The transform of each owned kind's cache (caches.ts, OWNED_KINDS). */
export function ownedTransform(resource: ResourceType): (obj: KubeObject) => KubeObject {
  if (resource === Resources.deployment) return slimDeployment;
  if (resource === Resources.destinationRule) return slimDestinationRule;
  return slimWithoutStatus;
}
