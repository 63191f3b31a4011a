import type { ApiAnswers } from "../kube/api-answers.js";
import type { Reader } from "../kube/client.js";
import type { KubeObject } from "../kube/object.js";
import type { ResourceType } from "../kube/resources.js";
import type { openWatch } from "../kube/watch.js";
import type { Clock } from "./clock.js";
import { Store, type StoreChange } from "./store.js";
import { Watcher, type WatcherEvent } from "./watcher.js";

export type ChangeHandler<T> = (change: StoreChange<T>) => void;

/** A namespace, or undefined for every namespace. */
export type Scope = string | undefined;

const scopeKey = (scope: Scope): string => scope ?? "";

export interface InformerDeps {
  readonly reader: Reader;
  readonly clock: Clock;
  readonly onError: (err: unknown, phase: string) => void;
  /** Successful answers to any request, which end the watchers' backoff early (api-answers.ts). */
  readonly answers?: ApiAnswers;
  /** The watch request; replaced in tests by a synthetic event stream. */
  readonly openWatch?: typeof openWatch;
}

/**
 * One kind's cache: a watcher per scope (a namespace, or one cluster-wide), a reflector writing their
 * events into one store, and handlers told about every change. `synced` resolves once every scope given
 * at construction has been listed. Scopes can also come and go while it runs (`addScope`/`removeScope`):
 * the kinds cached only in the namespaces that hold a ProxyService (caches.ts, issue 17).
 */
export class Informer<T extends KubeObject> {
  readonly store = new Store<T>();
  readonly resource: ResourceType;
  readonly #deps: InformerDeps;
  readonly #labelSelector: string | undefined;
  readonly #watchers = new Map<string, Watcher>();
  readonly #listed = new Set<string>();
  readonly #handlers: ChangeHandler<T>[] = [];
  readonly #syncHandlers: ((scope: Scope) => void)[] = [];
  readonly #initial: Set<string>;
  #started = false;
  #markSynced: () => void = () => undefined;
  readonly synced: Promise<void>;

  constructor(
    resource: ResourceType,
    scopes: readonly Scope[],
    deps: InformerDeps,
    labelSelector?: string,
    /**
     * Applied to every object as it arrives (each list page at once, each watch event), before it is
     * cached: drop what the reconciler never reads, to save memory (cache-transforms.ts).
     */
    readonly transform: (obj: T) => T = (obj) => obj,
  ) {
    this.resource = resource;
    this.#deps = deps;
    this.#labelSelector = labelSelector;
    this.#initial = new Set(scopes.map(scopeKey));
    this.synced = new Promise((resolve) => (this.#markSynced = resolve));
    if (this.#initial.size === 0) this.#markSynced();
    for (const scope of scopes) this.#watchers.set(scopeKey(scope), this.#watcher(scope));
  }

  onChange(handler: ChangeHandler<T>): void {
    this.#handlers.push(handler);
  }

  /** Called each time a scope's first list is in the store (after a relist too). */
  onSynced(handler: (scope: Scope) => void): void {
    this.#syncHandlers.push(handler);
  }

  start(): void {
    this.#started = true;
    for (const w of this.#watchers.values()) void w.run();
  }

  stop(): void {
    this.#started = false;
    for (const w of this.#watchers.values()) w.stop();
  }

  /** Whether the scope is watched and its first list is in the store. */
  isSynced(scope: Scope): boolean {
    return this.#listed.has(scopeKey(scope));
  }

  hasScope(scope: Scope): boolean {
    return this.#watchers.has(scopeKey(scope));
  }

  /** Starts caching one more namespace (no-op when it is already cached). */
  addScope(scope: Scope): void {
    const key = scopeKey(scope);
    if (this.#watchers.has(key)) return;
    const w = this.#watcher(scope);
    this.#watchers.set(key, w);
    if (this.#started) void w.run();
  }

  /**
   * Stops caching a namespace and forgets its objects without telling the handlers: nothing that
   * reads them is left (the last ProxyService of the namespace is gone).
   */
  removeScope(scope: Scope): void {
    const key = scopeKey(scope);
    const w = this.#watchers.get(key);
    if (!w) return;
    w.stop();
    this.#watchers.delete(key);
    this.#listed.delete(key);
    this.store.replace(scope, []);
  }

  #watcher(scope: Scope): Watcher {
    const w: Watcher = new Watcher(
      { resource: this.resource, namespace: scope, labelSelector: this.#labelSelector },
      {
        reader: this.#deps.reader,
        clock: this.#deps.clock,
        // A watcher of a removed scope may still deliver the list it was waiting for: drop it.
        emit: (e) => {
          if (this.#watchers.get(scopeKey(scope)) === w) this.#reflect(scope, e);
        },
        onError: (err, phase) => this.#deps.onError(err, phase),
        transform: (obj) => this.transform(obj as T),
        ...(this.#deps.answers === undefined ? {} : { answers: this.#deps.answers }),
        ...(this.#deps.openWatch === undefined ? {} : { openWatch: this.#deps.openWatch }),
      },
    );
    return w;
  }

  /** The reflector: watcher events into the store, then the resulting changes out to handlers. */
  #reflect(scope: Scope, e: WatcherEvent): void {
    let changes: StoreChange<T>[];
    switch (e.type) {
      case "listed":
        changes = this.store.replace(scope, e.items as T[]);
        this.#listed.add(scopeKey(scope));
        this.#initial.delete(scopeKey(scope));
        if (this.#initial.size === 0) this.#markSynced();
        break;
      case "applied":
        changes = [this.store.apply(e.object as T)].filter((c) => c !== undefined);
        break;
      case "deleted":
        changes = [this.store.delete(e.object as T)].filter((c) => c !== undefined);
        break;
    }
    for (const c of changes) for (const h of this.#handlers) h(c);
    if (e.type === "listed") for (const h of this.#syncHandlers) h(scope);
  }
}
