import type { V1Service } from "@kubernetes/client-node";
import { OWNED_KINDS, kindKey, type Caches } from "../../src/controller/caches.js";
import { summarizeProxyPod } from "../../src/controller/proxy-pods.js";
import { Store } from "../../src/runtime/store.js";
import { Annotations } from "../../src/api/takeover.js";
import { Labels } from "../../src/api/labels.js";
import { FIELD_MANAGER, OPERATOR_NAME } from "../../src/api/names.js";
import type { ApplyOptions, Client, JsonPatchOperation } from "../../src/kube/client.js";
import { KubeApiError } from "../../src/kube/errors.js";
import type { EventInput, EventPublisher } from "../../src/kube/events.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { ResourceType } from "../../src/kube/resources.js";

/** An object as the fake API server keeps it. */
type Stored = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** Thrown by the fake client once the operator "process" is killed: the write it was about to make never happens. */
export class OperatorKilled extends Error {}

/**
 * An in-memory API server for fast, model-based tests of the orchestration (reconcile, cleanup, status),
 * beside the integration tests against the real kube-apiserver, never instead of them. It keeps what those
 * paths rely on: server-side apply creates a missing object (so a stray apply is seen), a deletion waits for
 * finalizers, JSON patches fail on `test` (422) and on a missing object (404), resourceVersion moves only on a
 * real change, and the owner of a Service's selector is tracked (managedFields). It simplifies where the
 * operator does not depend on it: an apply replaces the lists it names (ports) instead of merging by key.
 * The caches are refreshed only by `sync()`, so a test can reconcile on a stale cache.
 */
export class FakeCluster implements Client {
  readonly #objects = new Map<string, Stored>();
  #version = 0;
  #uids = 0;
  #now: () => number;
  /** Operator writes so far (apply, delete, patch, status), and events published. */
  writes = 0;
  events: EventInput[] = [];
  /** When set, the operator's next write after this many more throws OperatorKilled (a crash mid-reconcile). */
  killAfterWrites: number | undefined;

  readonly caches: Caches & { readonly stores: Map<string, Store<KubeObject>> };

  constructor(now: () => number) {
    this.#now = now;
    const stores = new Map<string, Store<KubeObject>>();
    const proxyServices = new Store<KubeObject>();
    const services = new Store<KubeObject>();
    stores.set("msvcbench.io/v1alpha1/ProxyService", proxyServices);
    stores.set("v1/Service", services);
    const owned = new Map<string, Store<KubeObject>>();
    for (const r of OWNED_KINDS) {
      const s = new Store<KubeObject>();
      owned.set(kindKey(r), s);
      stores.set(kindKey(r), s);
    }
    // No EndpointSlice controller runs here: the target has no ready endpoints, and GlobalView stays Unknown.
    const endpointSlices = new Store<KubeObject>();
    stores.set("discovery.k8s.io/v1/EndpointSlice", endpointSlices);
    const authorizationPolicies = new Store<KubeObject>();
    stores.set("security.istio.io/v1/AuthorizationPolicy", authorizationPolicies);
    const proxyPods = new Store<KubeObject>();
    stores.set("v1/Pod", proxyPods);
    this.caches = {
      proxyServices: proxyServices as never,
      services: services as never,
      endpointSlices: endpointSlices as never,
      authorizationPolicies,
      proxyPods: proxyPods as never,
      destinationRules: owned.get("networking.istio.io/v1/DestinationRule")!,
      owned,
      stores,
    };
  }

  readonly eventPublisher: EventPublisher = {
    publish: async (_regarding, e) => {
      this.events.push(e);
    },
  };

  // ---- what the operator calls (Client) ----

  async get<T extends KubeObject>(r: ResourceType, namespace: string, name: string): Promise<T | undefined> {
    const o = this.#objects.get(keyFor(r.apiVersion, r.kind, namespace, name));
    return o === undefined ? undefined : (structuredClone(o) as T);
  }

  async apply<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions = {}): Promise<T> {
    this.#operatorWrite();
    return this.applyAs(FIELD_MANAGER, obj, opts.force ?? false) as T;
  }

  async applyStatus(obj: KubeObject): Promise<void> {
    this.#operatorWrite();
    const o = this.#objects.get(keyOfObject(obj));
    if (o === undefined) throw apiError(404, "NotFound", obj);
    this.#update(o, (next) => void (next.status = structuredClone(obj.status as Record<string, unknown>)));
  }

  async delete(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<void> {
    this.#operatorWrite();
    this.deleteObject(obj);
  }

  async create<T extends KubeObject>(obj: KubeObject): Promise<T> {
    this.#operatorWrite();
    if (this.#objects.has(keyOfObject(obj))) throw apiError(409, "AlreadyExists", obj);
    return this.#store(obj) as T;
  }

  async jsonPatch(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">, operations: readonly JsonPatchOperation[]): Promise<void> {
    this.#operatorWrite();
    const o = this.#objects.get(keyOfObject(obj));
    if (o === undefined) throw apiError(404, "NotFound", obj);
    const next = structuredClone(o);
    for (const op of operations) applyJsonPatchOperation(next, op, obj);
    this.#update(o, (target) => Object.assign(target, next));
    this.#finishDeletion(keyOfObject(obj));
  }

  // ---- what users, tools and Kubernetes' own controllers do ----

  /**
   * A server-side apply by `manager`: creates the object when missing; else sets the fields `obj` names (the
   * takeover annotation is dropped by FIELD_MANAGER when its apply no longer lists it). A Service's selector
   * owned by another manager can be taken only with force (409 otherwise), as the real server does.
   */
  applyAs(manager: string, obj: KubeObject, force: boolean): KubeObject {
    const key = keyOfObject(obj);
    const existing = this.#objects.get(key);
    if (existing === undefined) {
      const created = this.#store(obj);
      if (obj.kind === "Service" && (obj.spec as V1Service["spec"])?.selector !== undefined) setSelectorManager(created, manager, this.#now());
      return structuredClone(created);
    }
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    if (obj.kind === "Service" && spec.selector !== undefined && !force) {
      const owner = selectorManagerOf(existing);
      if (owner !== undefined && owner !== manager && JSON.stringify(existing.spec?.selector) !== JSON.stringify(spec.selector)) {
        throw apiError(409, "Conflict", obj, `conflict with "${owner}": .spec.selector`);
      }
    }
    this.#update(existing, (next) => {
      const meta = obj.metadata;
      if (meta.labels !== undefined) next.metadata.labels = { ...next.metadata.labels, ...meta.labels };
      if (meta.ownerReferences !== undefined) next.metadata.ownerReferences = structuredClone(meta.ownerReferences);
      const annotations = { ...next.metadata.annotations, ...meta.annotations };
      for (const ours of [Annotations.takeover, Annotations.fellBack]) {
        if (manager === FIELD_MANAGER && meta.annotations?.[ours] === undefined) delete annotations[ours];
      }
      next.metadata.annotations = annotations;
      if (Object.keys(annotations).length === 0) delete next.metadata.annotations;
      if (obj.kind === "Service") {
        next.spec = { ...next.spec, ...structuredClone(spec) };
        if (spec.selector !== undefined) setSelectorManager(next, manager, this.#now());
      } else if (obj.spec !== undefined) {
        next.spec = structuredClone(spec);
      }
    });
    return structuredClone(this.#objects.get(key)!);
  }

  /** A delete with the real server's semantics: finalizers make it a deletionTimestamp; a uid precondition protects a successor. */
  deleteObject(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): void {
    const key = keyOfObject(obj);
    const o = this.#objects.get(key);
    if (o === undefined) return;
    if (obj.metadata.uid !== undefined && obj.metadata.uid !== o.metadata.uid) return;
    if ((o.metadata.finalizers ?? []).length > 0) {
      if (o.metadata.deletionTimestamp === undefined) this.#update(o, (next) => void (next.metadata.deletionTimestamp = new Date(this.#now())));
      return;
    }
    this.#objects.delete(key);
  }

  /** A user's edit of one object (kubectl edit or patch): `change` gets a copy to modify. */
  edit(apiVersion: string, kind: string, namespace: string, name: string, change: (o: Stored) => void, manager = "kubectl-edit"): void {
    const o = this.#objects.get(keyFor(apiVersion, kind, namespace, name));
    if (o === undefined) return;
    const before = JSON.stringify(o.spec?.selector);
    this.#update(o, (next) => {
      change(next);
      if (kind === "ProxyService" && JSON.stringify(next.spec) !== JSON.stringify(o.spec)) next.metadata.generation = (o.metadata.generation ?? 1) + 1;
    });
    const after = this.#objects.get(keyFor(apiVersion, kind, namespace, name));
    if (kind === "Service" && after !== undefined && JSON.stringify(after.spec?.selector) !== before) setSelectorManager(after, manager, this.#now());
  }

  /** The Deployment controller and kubelet: every proxy Deployment has `ready` Ready pods. */
  setProxiesReady(ready: number): void {
    this.setProxies(ready, "Ready");
  }

  /**
   * The Deployment controller and kubelet: every proxy Deployment has `count` pods in `state` (Ready;
   * NotReady: failing its probe or crash-looping; Terminating: deleted and draining, still Ready), with the
   * Deployment's readyReplicas to match. A pod's Ready time moves only when its readiness flips, as a kubelet's does.
   */
  setProxies(count: number, state: "Ready" | "NotReady" | "Terminating"): void {
    for (const deployment of [...this.#objects.values()].filter((o) => o.kind === "Deployment")) {
      const labels = ((deployment.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels) ?? {};
      const ns = deployment.metadata.namespace ?? "";
      const pods = [...this.#objects.values()].filter((o) => o.kind === "Pod" && o.metadata.namespace === ns && o.metadata.name.startsWith(`${deployment.metadata.name}-pod-`));
      for (const pod of pods) if (Number(pod.metadata.name.split("-pod-")[1]) >= count) this.#objects.delete(keyOfObject(pod));
      for (let i = 0; i < count; i++) {
        const name = `${deployment.metadata.name}-pod-${i}`;
        const ready = state !== "NotReady";
        const existing = this.#objects.get(keyFor("v1", "Pod", ns, name));
        const was = (existing?.status as { conditions?: { status: string; lastTransitionTime: string }[] } | undefined)?.conditions?.[0];
        const since = was !== undefined && was.status === (ready ? "True" : "False") ? was.lastTransitionTime : new Date(this.#now()).toISOString();
        const pod: KubeObject = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: ns, labels: { ...labels }, ...(state === "Terminating" ? { deletionTimestamp: new Date(this.#now()) } : {}) },
          status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: since }] },
        } as KubeObject;
        if (existing === undefined) {
          const stored = this.#store(pod);
          if (state === "Terminating") this.#update(stored, (next) => void (next.metadata.deletionTimestamp = new Date(this.#now())));
        } else this.#update(existing, (next) => Object.assign(next, { metadata: { ...next.metadata, ...pod.metadata }, status: (pod as Stored).status }));
        if (state !== "Terminating" && existing?.metadata.deletionTimestamp !== undefined) {
          this.#update(this.#objects.get(keyFor("v1", "Pod", ns, name))!, (next) => void delete next.metadata.deletionTimestamp);
        }
      }
      const readyReplicas = state === "NotReady" ? 0 : count;
      if ((deployment.status?.readyReplicas ?? 0) !== readyReplicas) this.#update(deployment, (next) => void (next.status = { ...next.status, readyReplicas }));
    }
    // Pods of a Deployment that is gone are gone too (the garbage collector, through their ReplicaSet).
    for (const pod of [...this.#objects.values()].filter((o) => o.kind === "Pod")) {
      const owner = pod.metadata.name.split("-pod-")[0];
      if (this.#objects.get(keyFor("apps/v1", "Deployment", pod.metadata.namespace, owner ?? "")) === undefined) this.#objects.delete(keyOfObject(pod));
    }
  }

  /** The garbage collector: objects whose every owner is gone are deleted (background propagation). */
  collectGarbage(): void {
    const uids = new Set([...this.#objects.values()].map((o) => o.metadata.uid));
    for (const o of [...this.#objects.values()]) {
      const owners = o.metadata.ownerReferences ?? [];
      if (owners.length > 0 && owners.every((r) => !uids.has(r.uid))) this.deleteObject(o);
    }
  }

  /** The informers catch up: every cache gets the server's current objects (owned kinds only with our label). */
  sync(): void {
    for (const [kind, store] of this.caches.stores) {
      const items = [...this.#objects.values()].filter((o) => `${o.apiVersion}/${o.kind}` === kind);
      const isOwnedKind = kind !== "v1/Service" && kind !== "msvcbench.io/v1alpha1/ProxyService";
      const cached = (isOwnedKind ? items.filter((o) => o.metadata.labels?.[Labels.managedBy] === OPERATOR_NAME) : items).map((o) => structuredClone(o));
      store.replace(undefined, kind === "v1/Pod" ? cached.map(summarizeProxyPod) : cached);
    }
  }

  find(apiVersion: string, kind: string, namespace: string, name: string): Stored | undefined {
    const o = this.#objects.get(keyFor(apiVersion, kind, namespace, name));
    return o === undefined ? undefined : structuredClone(o);
  }

  list(): Stored[] {
    return [...this.#objects.values()].map((o) => structuredClone(o));
  }

  // ---- internals ----

  #operatorWrite(): void {
    if (this.killAfterWrites !== undefined) {
      if (this.killAfterWrites <= 0) throw new OperatorKilled("operator killed");
      this.killAfterWrites--;
    }
    this.writes++;
  }

  #store(obj: KubeObject): Stored {
    const o = structuredClone(obj) as Stored;
    o.metadata.uid = `uid-${++this.#uids}`;
    o.metadata.resourceVersion = String(++this.#version);
    o.metadata.creationTimestamp = new Date(this.#now());
    if (o.kind === "ProxyService") o.metadata.generation = 1;
    delete o.metadata.deletionTimestamp;
    this.#objects.set(keyOfObject(o), o);
    return o;
  }

  /** Applies `change` to a copy; stores it with a new resourceVersion only when something changed. */
  #update(o: Stored, change: (next: Stored) => void): void {
    const next = structuredClone(o);
    change(next);
    next.metadata.resourceVersion = o.metadata.resourceVersion;
    if (JSON.stringify(next) === JSON.stringify(o)) return;
    next.metadata.resourceVersion = String(++this.#version);
    this.#objects.set(keyOfObject(o), next);
  }

  #finishDeletion(key: string): void {
    const o = this.#objects.get(key);
    if (o?.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).length === 0) this.#objects.delete(key);
  }
}

function keyFor(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${apiVersion}/${kind}/${namespace ?? ""}/${name}`;
}

const keyOfObject = (o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string =>
  keyFor(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);

function apiError(status: number, reason: string, obj: Pick<KubeObject, "kind" | "metadata">, message = ""): KubeApiError {
  return new KubeApiError(status, reason, message || `${obj.kind} "${obj.metadata.name}"`, `fake ${obj.kind}`);
}

function selectorManagerOf(o: Stored): string | undefined {
  return o.metadata.managedFields?.find((m) => (m.fieldsV1 as { "f:spec"?: object } | undefined)?.["f:spec"] !== undefined)?.manager;
}

/** Records `manager` as the one owner of spec.selector, newest, as managedFields would after its write. */
function setSelectorManager(o: Stored, manager: string, now: number): void {
  o.metadata.managedFields = [{ manager, operation: "Apply", time: new Date(now), fieldsV1: { "f:spec": { "f:selector": {} } } }];
}

function applyJsonPatchOperation(target: Stored, op: JsonPatchOperation, obj: Pick<KubeObject, "kind" | "metadata">): void {
  const path = op.path.split("/").slice(1);
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1] ?? "";
  let parent: unknown = target;
  for (const p of parentPath) parent = (parent as Record<string, unknown> | undefined)?.[p];
  const container = parent as Record<string, unknown> | unknown[] | undefined;
  const current = Array.isArray(container) ? container[Number(last)] : container?.[last];
  switch (op.op) {
    case "test":
      if (JSON.stringify(current) !== JSON.stringify(op.value)) throw apiError(422, "Invalid", obj, `test failed at ${op.path}`);
      return;
    case "add":
    case "replace":
      if (container === undefined) throw apiError(422, "Invalid", obj, `no parent for ${op.path}`);
      if (Array.isArray(container)) {
        if (last === "-") container.push(op.value);
        else container.splice(Number(last), op.op === "add" ? 0 : 1, op.value);
      } else container[last] = op.value;
      return;
    case "remove":
      if (current === undefined) throw apiError(422, "Invalid", obj, `nothing at ${op.path}`);
      if (Array.isArray(container)) container.splice(Number(last), 1);
      else if (container !== undefined) delete container[last];
      return;
  }
}
