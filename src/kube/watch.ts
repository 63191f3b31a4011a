import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { KubeApiError } from "./errors.js";
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
 */
export function openWatch(
  kc: KubeConfig,
  path: string,
  params: { resourceVersion: string; labelSelector?: string; timeoutSeconds: number },
  onEvent: (e: WatchEvent) => void,
): WatchStream {
  let abort: AbortController | undefined;
  let aborted = false;
  let finish: (err: Error | null) => void = () => undefined;
  const done = new Promise<Error | null>((resolve) => (finish = resolve));
  let failed: Error | null = null;
  new Watch(kc)
    .watch(
      path,
      {
        resourceVersion: params.resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: params.labelSelector,
        timeoutSeconds: params.timeoutSeconds,
      },
      (type: string, object: unknown) => {
        if (failed) return;
        if (type === "ERROR") {
          const status = object as { code?: number; reason?: string; message?: string };
          failed = new KubeApiError(status.code ?? 500, status.reason ?? "Unknown", status.message ?? "", `WATCH ${path}`);
          abort?.abort();
          finish(failed);
          return;
        }
        onEvent({ type: type as WatchEventType, object: object as KubeObject });
      },
      (err: unknown) => finish(failed ?? (err ? toError(err, path) : null)),
    )
    .then(
      (controller) => {
        abort = controller;
        if (aborted) controller.abort();
      },
      (err: unknown) => finish(toError(err, path)),
    );
  return {
    done,
    abort: () => {
      aborted = true;
      abort?.abort();
      finish(null);
    },
  };
}

function toError(err: unknown, path: string): Error {
  if (err instanceof Error) {
    const code = (err as { statusCode?: unknown }).statusCode;
    if (typeof code === "number") return new KubeApiError(code, err.message, err.message, `WATCH ${path}`);
    return err;
  }
  return new Error(`WATCH ${path}: ${String(err)}`);
}
