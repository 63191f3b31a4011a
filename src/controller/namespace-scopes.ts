import type { KubeObject } from "../kube/object.js";
import type { Informer } from "../runtime/informer.js";
import type { StoreChange, StoreReader } from "../runtime/store.js";

/** What NamespaceScopes drives of an informer. */
export type ScopedCache = Pick<Informer<KubeObject>, "addScope" | "removeScope" | "isSynced" | "onSynced">;

/**
 * Which namespaces the namespace-scoped caches (Services, EndpointSlices, AuthorizationPolicies) watch:
 * those that hold a ProxyService, started when the first one appears and stopped when the last one is gone
 * (a ProxyService being deleted still counts until its finalizer is done, so the restore reads a full
 * cache). A reconcile reads the Services and EndpointSlices of its own namespace only, so nothing else is
 * needed; an unrelated Service elsewhere in the cluster costs no memory and its churn no CPU (issue 17).
 *
 * A namespace counts as synced once every one of these caches has listed it: until then a reconcile
 * there would see a Service as missing, so it waits (see `isSynced`) and `onSynced` enqueues it again.
 */
export class NamespaceScopes {
  readonly #informers: readonly ScopedCache[];
  /** Scopes an informer keeps whatever the ProxyServices (the mesh's root namespace for AuthorizationPolicies). */
  readonly #pinned: ReadonlyMap<ScopedCache, ReadonlySet<string>>;
  readonly #proxyServices: StoreReader<KubeObject>;
  readonly #namespaces = new Set<string>();
  readonly #syncHandlers: ((namespace: string) => void)[] = [];

  constructor(
    informers: readonly ScopedCache[],
    proxyServices: StoreReader<KubeObject>,
    pinned: ReadonlyMap<ScopedCache, ReadonlySet<string>> = new Map(),
  ) {
    this.#informers = informers;
    this.#pinned = pinned;
    this.#proxyServices = proxyServices;
    for (const informer of informers) {
      informer.onSynced((scope) => {
        if (scope !== undefined && this.isSynced(scope)) for (const h of this.#syncHandlers) h(scope);
      });
    }
  }

  /** The ProxyServices' change handler: register it before the work queue's, so a new namespace is watched first. */
  readonly follow = (change: StoreChange<KubeObject>): void => {
    const namespace = change.object.metadata.namespace ?? "";
    if (change.type === "added" && !this.#namespaces.has(namespace)) {
      this.#namespaces.add(namespace);
      for (const informer of this.#informers) informer.addScope(namespace);
    } else if (change.type === "deleted" && this.#proxyServices.list(namespace).length === 0 && this.#namespaces.delete(namespace)) {
      for (const informer of this.#informers) if (!this.#pinned.get(informer)?.has(namespace)) informer.removeScope(namespace);
    }
  };

  /** Called with a namespace each time all its caches have (re)listed it. */
  onSynced(handler: (namespace: string) => void): void {
    this.#syncHandlers.push(handler);
  }

  /** Whether every namespace-scoped cache holds the namespace's objects, so a reconcile there may read them. */
  isSynced(namespace: string): boolean {
    return this.#informers.every((i) => i.isSynced(namespace));
  }

  /** The namespaces watched because a ProxyService is there. */
  get namespaces(): readonly string[] {
    return [...this.#namespaces];
  }

  /** Resolves once every namespace watched now has synced (start-up: /readyz waits for it). */
  whenSynced(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (signal.aborted || this.namespaces.every((ns) => this.isSynced(ns))) resolve();
      };
      this.onSynced(check);
      signal.addEventListener("abort", check, { once: true });
      check();
    });
  }
}
