import { FIELD_MANAGER } from "../api/names.js";
import type { KubeHttp } from "./http.js";
import type { KubeObject } from "./object.js";
import { ignoreNotFound, isConflict } from "./errors.js";
import { collectionPath, objectPath, resourceFor, type ResourceType } from "./resources.js";

export interface ListResult<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

/** Reads straight from the API server. The reconciler reads from the cache instead; this is for the watcher and restore. */
export interface Reader {
  readonly http: KubeHttp;
  get<T extends KubeObject>(r: ResourceType, namespace: string, name: string): Promise<T | undefined>;
  /** One page of a list; pass the returned `continue` token back for the next. */
  listPage<T extends KubeObject>(
    r: ResourceType,
    opts: { namespace?: string; labelSelector?: string; limit: number; continue?: string },
  ): Promise<ListResult<T> & { continue?: string }>;
}

export interface ApplyOptions {
  /**
   * Take fields from another field manager: the taken-over Service's selector and ports, and an owned object's
   * fields someone edited by hand (plan.ts says why for each). applyStatus always forces.
   */
  readonly force?: boolean;
  /**
   * Write only to the object with this uid: the API server answers 409 if it was deleted since it was read
   * (server-side apply would otherwise create it), 422 if another of the same name replaced it.
   */
  readonly uid?: string | undefined;
}

/** One operation of a JSON patch (RFC 6902); `test` makes the patch a precondition. */
export type JsonPatchOperation =
  | { readonly op: "test" | "add" | "replace"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string };

export interface Writer {
  /** Server-side apply under FIELD_MANAGER. Idempotent: an unchanged apply leaves resourceVersion as it was. */
  apply<T extends KubeObject>(obj: KubeObject, opts?: ApplyOptions): Promise<T>;
  /** Deletes, with a UID precondition when given so we never delete a same-named successor. Not found is success. */
  delete(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<void>;
  create<T extends KubeObject>(obj: KubeObject): Promise<T>;
  /**
   * A JSON patch of an existing object. Unlike an apply it can never create one (a missing object is a 404),
   * and its `test` operations fail it (422) when the object is no longer as the caller saw it.
   */
  jsonPatch(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">, operations: readonly JsonPatchOperation[]): Promise<void>;
}

export interface StatusWriter {
  /** Server-side apply to the status subresource under FIELD_MANAGER. */
  applyStatus(obj: KubeObject): Promise<void>;
}

/** What a reconcile uses: reads of single objects, writes and status (the watcher and restore use KubeClient itself). */
export interface Client extends Writer, StatusWriter {
  get<T extends KubeObject>(r: ResourceType, namespace: string, name: string): Promise<T | undefined>;
}

/** Called once per write request, so that writes can be counted (the idle goal is zero writes). */
export type WriteObserver = (verb: "apply" | "delete" | "create" | "replace" | "status" | "patch", kind: string) => void;

/** A client bound to FIELD_MANAGER, so that no call site can forget it (like controller-runtime's fieldowner.go). */
export class KubeClient implements Reader, Writer, StatusWriter {
  readonly #http: KubeHttp;
  readonly #onWrite: WriteObserver;

  constructor(http: KubeHttp, onWrite: WriteObserver = () => undefined) {
    this.#http = http;
    this.#onWrite = onWrite;
  }

  get http(): KubeHttp {
    return this.#http;
  }

  async get<T extends KubeObject>(r: ResourceType, namespace: string, name: string): Promise<T | undefined> {
    return this.#http.request<T>("GET", objectPath(r, namespace, name)).catch(ignoreNotFound);
  }

  async listPage<T extends KubeObject>(
    r: ResourceType,
    opts: { namespace?: string; labelSelector?: string; limit: number; continue?: string },
  ): Promise<ListResult<T> & { continue?: string }> {
    const list = await this.#http.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>(
      "GET",
      collectionPath(r, opts.namespace),
      { query: { labelSelector: opts.labelSelector, limit: opts.limit, continue: opts.continue } },
    );
    // Lists omit each item's apiVersion and kind; fill them in so cached objects look like watched ones.
    const items = (list.items ?? []).map((i) => ({ ...i, apiVersion: r.apiVersion, kind: r.kind }));
    return {
      items,
      resourceVersion: list.metadata?.resourceVersion ?? "",
      ...(list.metadata?.continue ? { continue: list.metadata.continue } : {}),
    };
  }

  async apply<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions = {}): Promise<T> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    this.#onWrite("apply", obj.kind);
    return this.#http.request<T>("PATCH", objectPath(r, obj.metadata.namespace, obj.metadata.name), {
      query: { fieldManager: FIELD_MANAGER, force: opts.force ? true : undefined },
      body: withUid(stripServerFields(obj), opts.uid),
      contentType: "application/apply-patch+yaml",
    });
  }

  async applyStatus(obj: KubeObject): Promise<void> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    this.#onWrite("status", obj.kind);
    // force: only this operator writes the status of a ProxyService; a stale owner (an old replica) must not block it.
    await this.#http.request("PATCH", `${objectPath(r, obj.metadata.namespace, obj.metadata.name)}/status`, {
      query: { fieldManager: FIELD_MANAGER, force: true },
      body: stripServerFields(obj),
      contentType: "application/apply-patch+yaml",
    });
  }

  async jsonPatch(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">, operations: readonly JsonPatchOperation[]): Promise<void> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    this.#onWrite("patch", obj.kind);
    await this.#http.request("PATCH", objectPath(r, obj.metadata.namespace, obj.metadata.name), {
      query: { fieldManager: FIELD_MANAGER },
      body: operations,
      contentType: "application/json-patch+json",
    });
  }

  async create<T extends KubeObject>(obj: KubeObject): Promise<T> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    this.#onWrite("create", obj.kind);
    return this.#http.request<T>("POST", collectionPath(r, obj.metadata.namespace), {
      query: { fieldManager: FIELD_MANAGER },
      body: obj,
    });
  }

  /** PUT with the object's resourceVersion: an optimistic-lock update that fails with 409 if someone wrote first. */
  async replace<T extends KubeObject>(obj: KubeObject): Promise<T> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    this.#onWrite("replace", obj.kind);
    return this.#http.request<T>("PUT", objectPath(r, obj.metadata.namespace, obj.metadata.name), {
      query: { fieldManager: FIELD_MANAGER },
      body: obj,
    });
  }

  async delete(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<void> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    this.#onWrite("delete", obj.kind);
    const uid = obj.metadata.uid;
    await this.#http
      .request("DELETE", objectPath(r, obj.metadata.namespace, obj.metadata.name), {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          propagationPolicy: "Background",
          ...(uid ? { preconditions: { uid } } : {}),
        },
      })
      // 409 on a UID precondition: the name now belongs to a different object, which is not ours to delete.
      .catch((err: unknown) => (isConflict(err) ? undefined : ignoreNotFound(err)));
  }
}

/** The uid precondition of ApplyOptions, in the body where the API server checks it. */
const withUid = (obj: KubeObject, uid: string | undefined): KubeObject => (uid === undefined ? obj : { ...obj, metadata: { ...obj.metadata, uid } });

/** An apply must not carry resourceVersion/uid/managedFields from a read, or it becomes an optimistic-lock update. */
function stripServerFields(obj: KubeObject): KubeObject {
  const { resourceVersion: _rv, uid: _uid, managedFields: _mf, creationTimestamp: _ct, generation: _g, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
