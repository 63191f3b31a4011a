import { KubeApiError } from "./errors.js";
import type { KubeHttp } from "./http.js";
import type { KubeObject } from "./object.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export interface WatchStream {
  /** Resolves when the stream ends: null when the server closed it normally, else the error. */
  readonly done: Promise<Error | null>;
  abort(): void;
}

/**
 * One watch request from a resourceVersion, with bookmarks. It ends on its own after `timeoutSeconds`
 * (the server closes it); the watcher decides whether to resume or relist. An ERROR event (for example
 * 410 Gone when the resourceVersion is too old) ends the stream with a KubeApiError carrying its code.
 * `onOpen` is called when the server accepts the watch (its 200), before any event.
 */
export function openWatch(
  http: KubeHttp,
  path: string,
  params: { resourceVersion: string; labelSelector?: string; fieldSelector?: string; timeoutSeconds: number },
  onEvent: (e: WatchEvent) => void,
  onOpen?: () => void,
): WatchStream {
  const abort = new AbortController();
  let failed: Error | null = null;
  const onLine = (line: unknown): void => {
    if (failed) return;
    const { type, object } = line as { type: string; object: unknown };
    if (type === "ERROR") {
      const status = object as { code?: number; reason?: string; message?: string };
      failed = new KubeApiError(status.code ?? 500, status.reason ?? "Unknown", status.message ?? "", `WATCH ${path}`);
      abort.abort();
      return;
    }
    onEvent({ type: type as WatchEventType, object: object as KubeObject });
  };
  const query = {
    resourceVersion: params.resourceVersion,
    allowWatchBookmarks: true,
    labelSelector: params.labelSelector,
    fieldSelector: params.fieldSelector,
    timeoutSeconds: params.timeoutSeconds,
  };
  // The server ends the watch after timeoutSeconds and sends bookmarks meanwhile: a silence well past
  // that means the connection died without a word (a dropped network path), so give up and resume.
  const idleTimeoutMs = (params.timeoutSeconds + 30) * 1000;
  const done = http.watch(path, query, onLine, { signal: abort.signal, idleTimeoutMs, ...(onOpen ? { onOpen } : {}) }).then(
    () => failed,
    (err: unknown) => failed ?? (err instanceof Error ? err : new Error(`WATCH ${path}: ${String(err)}`)),
  );
  return { done, abort: () => abort.abort() };
}
