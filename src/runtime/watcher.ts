import type { KubeObject } from "../kube/object.js";
import type { ApiAnswers } from "../kube/api-answers.js";
import type { Reader } from "../kube/client.js";
import { isGone } from "../kube/errors.js";
import { collectionPath, type ResourceType } from "../kube/resources.js";
import { openWatch, type WatchEvent, type WatchStream } from "../kube/watch.js";
import type { Clock } from "./clock.js";

/**
 * Objects per list request. A page is read whole (its body, its text, its parsed items) before its items are
 * transformed, so the page is the start-up's transient peak; and the native memory a large body took is not
 * given back to the system afterwards (glibc keeps its heap). 100 instead of client-go's 500: at 1,000
 * ProxyServices the operator's start-up peak fell from 128 to 107 MiB (issue 17, docs/operator.md "Caches").
 */
export const LIST_PAGE_SIZE = 100;

/**
 * What a watcher reports, following kube-rs: a full list arrives as `listed` (the consumer swaps its cache
 * in one step), then every change as `applied` or `deleted`.
 */
export type WatcherEvent =
  | { readonly type: "listed"; readonly items: readonly KubeObject[] }
  | { readonly type: "applied"; readonly object: KubeObject }
  | { readonly type: "deleted"; readonly object: KubeObject };

/** The watcher's state: where the next request starts. */
type State =
  | { readonly phase: "empty" }
  | { readonly phase: "watching"; readonly resourceVersion: string };

export interface WatcherConfig {
  readonly resource: ResourceType;
  /** Undefined watches every namespace. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Page size of the initial list: 500, client-go's default, keeps each response small on big clusters. */
  readonly pageSize?: number;
  /** The server ends each watch after this long (with jitter) and we resume, as client-go's reflector does. */
  readonly watchTimeoutSeconds?: number;
}

/**
 * List, then watch from the list's resourceVersion, with bookmarks so that the resourceVersion keeps up
 * even when nothing we select changes. A watch that ends is resumed from the last resourceVersion seen;
 * `410 Gone` (too old, compacted) means relist from scratch. Any other failure (the API server restarting)
 * backs off and retries; the backoff starts again from its shortest step once a watch is accepted, and a
 * backoff is cut short when any other request succeeds (the server is back): once per full backoff, so a
 * watch that keeps failing while the rest succeeds (a kind RBAC denies) still waits out every other step.
 * Runs until stopped.
 */
export class Watcher {
  readonly #cfg: WatcherConfig;
  readonly #reader: Reader;
  readonly #clock: Clock;
  readonly #emit: (e: WatcherEvent) => void;
  readonly #onError: (err: unknown, phase: "list" | "watch") => void;
  readonly #openWatch: typeof openWatch;
  readonly #transform: (obj: KubeObject) => KubeObject;
  readonly #answers: ApiAnswers | undefined;
  #mayWakeEarly = true;
  #state: State = { phase: "empty" };
  #stream: WatchStream | undefined;
  #stopped = false;
  #failures = 0;
  #cancelSleep: () => void = () => undefined;

  constructor(
    cfg: WatcherConfig,
    deps: {
      reader: Reader;
      clock: Clock;
      emit: (e: WatcherEvent) => void;
      onError: (err: unknown, phase: "list" | "watch") => void;
      /**
       * Applied to each object as it arrives, before anything else keeps it: a list page's raw objects are
       * dropped as soon as the page is transformed, so a list of a big cluster never holds every raw object
       * at once (issue 17: at 10,000 EndpointSlices that was 51 MiB of heap, and every relist repeated it).
       */
      transform?: (obj: KubeObject) => KubeObject;
      /** Successful answers to the operator's other requests: they end a backoff early (api-answers.ts). */
      answers?: ApiAnswers;
      /** The watch request; replaced in tests by a synthetic event stream. */
      openWatch?: typeof openWatch;
    },
  ) {
    this.#cfg = cfg;
    this.#reader = deps.reader;
    this.#clock = deps.clock;
    this.#emit = deps.emit;
    this.#onError = deps.onError;
    this.#openWatch = deps.openWatch ?? openWatch;
    this.#transform = deps.transform ?? ((obj) => obj);
    this.#answers = deps.answers;
  }

  /** Runs the list/watch loop until `stop`. */
  async run(): Promise<void> {
    while (!this.#stopped) {
      const phase = this.#state.phase === "empty" ? "list" : "watch";
      try {
        this.#state = this.#state.phase === "empty" ? await this.#list() : await this.#watch(this.#state.resourceVersion);
        this.#failures = 0;
        this.#mayWakeEarly = true;
      } catch (err) {
        if (this.#stopped) return;
        if (isGone(err)) {
          this.#state = { phase: "empty" };
          continue;
        }
        this.#onError(err, phase);
        // Back off 0.2 s, 0.4 s, … up to 30 s, so an API server restart is not met with a request storm.
        this.#failures += 1;
        const woken = await this.#sleep(Math.min(30_000, 200 * 2 ** (this.#failures - 1)), this.#mayWakeEarly);
        this.#mayWakeEarly = !woken;
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#stream?.abort();
    this.#cancelSleep();
  }

  async #list(): Promise<State> {
    const items: KubeObject[] = [];
    let token: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.#reader.listPage<KubeObject>(this.#cfg.resource, {
        namespace: this.#cfg.namespace,
        labelSelector: this.#cfg.labelSelector,
        limit: this.#cfg.pageSize ?? LIST_PAGE_SIZE,
        continue: token,
      });
      for (const item of page.items) items.push(this.#transform(item));
      token = page.continue;
      resourceVersion = page.resourceVersion;
    } while (token);
    this.#emit({ type: "listed", items });
    return { phase: "watching", resourceVersion };
  }

  async #watch(from: string): Promise<State> {
    let resourceVersion = from;
    const base = this.#cfg.watchTimeoutSeconds ?? 300;
    this.#reader.http.observe("GET", collectionPath(this.#cfg.resource, this.#cfg.namespace), true);
    this.#stream = this.#openWatch(
      this.#reader.http,
      collectionPath(this.#cfg.resource, this.#cfg.namespace),
      { resourceVersion, labelSelector: this.#cfg.labelSelector, timeoutSeconds: Math.round(base * (1 + Math.random())) },
      (e: WatchEvent) => {
        const rv = e.object.metadata?.resourceVersion;
        if (rv) resourceVersion = rv;
        if (e.type === "BOOKMARK") return;
        // Watched objects carry apiVersion/kind already; set them anyway so handlers can rely on them.
        const object = this.#transform({ ...e.object, apiVersion: this.#cfg.resource.apiVersion, kind: this.#cfg.resource.kind });
        this.#emit(e.type === "DELETED" ? { type: "deleted", object } : { type: "applied", object });
      },
      // Accepted: the server is back, so the next failure (a later restart) starts from the shortest backoff.
      () => {
        this.#failures = 0;
        this.#mayWakeEarly = true;
      },
    );
    const err = await this.#stream.done;
    this.#stream = undefined;
    if (err) throw err;
    return { phase: "watching", resourceVersion };
  }

  /** Sleeps `ms`, or until stopped, or (if `wakeOnAnswer`) until another request succeeds: then resolves true. */
  #sleep(ms: number, wakeOnAnswer = false): Promise<boolean> {
    return new Promise((resolve) => {
      let unsubscribe: () => void = () => undefined;
      const cancelTimer = this.#clock.setTimer(() => {
        unsubscribe();
        resolve(false);
      }, ms);
      if (wakeOnAnswer && this.#answers) {
        unsubscribe = this.#answers.once(() => {
          cancelTimer();
          resolve(true);
        });
      }
      this.#cancelSleep = () => {
        cancelTimer();
        unsubscribe();
        resolve(false);
      };
    });
  }
}
