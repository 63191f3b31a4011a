import type { Reader } from "../kube/client.js";
import type { KubeObject } from "../kube/object.js";
import type { ResourceType } from "../kube/resources.js";
import type { openWatch } from "../kube/watch.js";
import type { Clock } from "./clock.js";
import { Store, type StoreChange } from "./store.js";
import { Watcher, type WatcherEvent } from "./watcher.js";

export type ChangeHandler<T> = (change: StoreChange<T>) => void;

/**
 * One kind's cache: a watcher per namespace (or one cluster-wide), a reflector writing their events into
 * one store, and handlers told about every change. `synced` resolves once every scope has been listed.
 */
export class Informer<T extends KubeObject> {
  readonly store = new Store<T>();
  readonly resource: ResourceType;
  readonly #watchers: Watcher[];
  readonly #handlers: ChangeHandler<T>[] = [];
  readonly #unsynced: Set<string>;
  #markSynced: () => void = () => undefined;
  readonly synced: Promise<void>;

  constructor(
    resource: ResourceType,
    scopes: readonly (string | undefined)[],
    deps: { reader: Reader; clock: Clock; onError: (err: unknown, phase: string) => void; openWatch?: typeof openWatch },
    labelSelector?: string,
    /** Applied to every object before it is cached: drop what the reconciler never reads, to save memory. */
    readonly transform: (obj: T) => T = (obj) => obj,
  ) {
    this.resource = resource;
    this.#unsynced = new Set(scopes.map((s) => s ?? ""));
    this.synced = new Promise((resolve) => (this.#markSynced = resolve));
    this.#watchers = scopes.map(
      (namespace) =>
        new Watcher(
          { resource, namespace, labelSelector },
          {
            reader: deps.reader,
            clock: deps.clock,
            emit: (e) => this.#reflect(namespace, e),
            onError: (err, phase) => deps.onError(err, phase),
            ...(deps.openWatch === undefined ? {} : { openWatch: deps.openWatch }),
          },
        ),
    );
  }

  onChange(handler: ChangeHandler<T>): void {
    this.#handlers.push(handler);
  }

  start(): void {
    for (const w of this.#watchers) void w.run();
  }

  stop(): void {
    for (const w of this.#watchers) w.stop();
  }

  /** The reflector: watcher events into the store, then the resulting changes out to handlers. */
  #reflect(scope: string | undefined, e: WatcherEvent): void {
    let changes: StoreChange<T>[];
    switch (e.type) {
      case "listed":
        changes = this.store.replace(scope, (e.items as T[]).map(this.transform));
        this.#unsynced.delete(scope ?? "");
        if (this.#unsynced.size === 0) this.#markSynced();
        break;
      case "applied":
        changes = [this.store.apply(this.transform(e.object as T))].filter((c) => c !== undefined);
        break;
      case "deleted":
        changes = [this.store.delete(e.object as T)].filter((c) => c !== undefined);
        break;
    }
    for (const c of changes) for (const h of this.#handlers) h(c);
  }
}
