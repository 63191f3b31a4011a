import { keyOf, type KubeObject, type ObjectKey } from "../kube/object.js";

/** A read-only view of a cache. It can be stale: readers decide, and writes go to the API server only. */
export interface StoreReader<T extends KubeObject> {
  get(key: ObjectKey): T | undefined;
  /** Every object, or those of one namespace. */
  list(namespace?: string): readonly T[];
  /** The objects whose ownerReferences name this uid (an index, so a reconcile never scans a namespace). */
  ownedBy(uid: string): readonly T[];
  readonly size: number;
}

/** What a write to the store changed, so the informer can tell handlers about it. */
export type StoreChange<T> =
  | { readonly type: "added"; readonly object: T }
  | { readonly type: "modified"; readonly object: T; readonly old: T }
  | { readonly type: "deleted"; readonly object: T };

/**
 * The cache of one kind, fed by watchers (one per watched namespace, or one for all). Only the reflector
 * writes to it; everyone else gets the StoreReader.
 */
export class Store<T extends KubeObject> implements StoreReader<T> {
  readonly #byNamespace = new Map<string, Map<string, T>>();
  readonly #byOwner = new Map<string, Map<ObjectKey, T>>();

  get(key: ObjectKey): T | undefined {
    const i = key.indexOf("/");
    return this.#byNamespace.get(key.slice(0, i))?.get(key.slice(i + 1));
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return [...(this.#byNamespace.get(namespace)?.values() ?? [])];
    return [...this.#byNamespace.values()].flatMap((m) => [...m.values()]);
  }

  ownedBy(uid: string): readonly T[] {
    return [...(this.#byOwner.get(uid)?.values() ?? [])];
  }

  get size(): number {
    let n = 0;
    for (const m of this.#byNamespace.values()) n += m.size;
    return n;
  }

  apply(obj: T): StoreChange<T> | undefined {
    const ns = obj.metadata.namespace ?? "";
    let m = this.#byNamespace.get(ns);
    if (!m) this.#byNamespace.set(ns, (m = new Map()));
    const old = m.get(obj.metadata.name);
    m.set(obj.metadata.name, obj);
    if (old) this.#unindex(old);
    this.#index(obj);
    if (!old) return { type: "added", object: obj };
    if (old.metadata.resourceVersion === obj.metadata.resourceVersion || isSameButVersion(old, obj)) return undefined;
    return { type: "modified", object: obj, old };
  }

  delete(obj: T): StoreChange<T> | undefined {
    const m = this.#byNamespace.get(obj.metadata.namespace ?? "");
    const old = m?.get(obj.metadata.name);
    if (!old) return undefined;
    m?.delete(obj.metadata.name);
    this.#unindex(old);
    return { type: "deleted", object: old };
  }

  #index(obj: T): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let m = this.#byOwner.get(ref.uid);
      if (!m) this.#byOwner.set(ref.uid, (m = new Map()));
      m.set(keyOf(obj), obj);
    }
  }

  #unindex(obj: T): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const m = this.#byOwner.get(ref.uid);
      m?.delete(keyOf(obj));
      if (m?.size === 0) this.#byOwner.delete(ref.uid);
    }
  }

  /**
   * Swaps in the result of a full list for one scope (a namespace, or everything when undefined), atomically
   * as kube-rs's InitDone does: objects gone from the list are reported deleted, so a missed DELETE during
   * a watch outage still reaches the handlers.
   */
  replace(scope: string | undefined, items: readonly T[]): StoreChange<T>[] {
    const changes: StoreChange<T>[] = [];
    const fresh = new Set(items.map((i) => keyOf(i)));
    for (const old of this.list(scope)) {
      if (!fresh.has(keyOf(old))) {
        const c = this.delete(old);
        if (c) changes.push(c);
      }
    }
    for (const item of items) {
      const c = this.apply(item);
      if (c) changes.push(c);
    }
    return changes;
  }
}

/**
 * The update changed nothing the cache keeps, only the version: the transform dropped what changed (a status,
 * managedFields), or the summary came out the same. The new version is stored, but no handler hears of it,
 * since no reader can tell the difference. An HPA's or a PDB's status, a proxy pod's phases before it serves and
 * an EndpointSlice's addresses otherwise each queued a reconcile of their ProxyService (issue 17: the burst of
 * 1,000 reconciled about 24 times per ProxyService). Objects in another key order compare unequal, and are
 * announced: the safe side.
 */
function isSameButVersion(a: KubeObject, b: KubeObject): boolean {
  const withoutVersion = (o: KubeObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return withoutVersion(a) === withoutVersion(b);
}
