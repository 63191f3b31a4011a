/** What the API server said when a request failed: the HTTP status and its `Status` body's reason. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly request: string,
  ) {
    super(`${request}: ${status} ${reason}: ${message}`);
    this.name = "KubeApiError";
  }
}

/** The HTTP status of a failed request, whichever client produced the error; undefined if not an HTTP error. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.status;
  if (typeof err === "object" && err !== null) {
    const e = err as { statusCode?: unknown; code?: unknown };
    if (typeof e.statusCode === "number") return e.statusCode;
    if (typeof e.code === "number") return e.code;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusOf(err) === 409;
/** 410 Gone: the resourceVersion we resumed from was compacted away, so the watcher must relist. */
export const isGone = (err: unknown): boolean => statusOf(err) === 410;

/** Returns undefined for a 404 and re-throws anything else: "already gone" is success for deletes and reads. */
export function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
