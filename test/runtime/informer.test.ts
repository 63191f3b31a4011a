import { describe, expect, it } from "vitest";
import { FakeClock } from "../support/fake-clock.js";
import { Informer } from "../../src/runtime/informer.js";
import type { StoreChange } from "../../src/runtime/store.js";
import type { Reader } from "../../src/kube/client.js";
import type { KubeHttp } from "../../src/kube/http.js";
import type { KubeObject } from "../../src/kube/object.js";
import { Resources } from "../../src/kube/resources.js";
import type { WatchEvent, WatchStream } from "../../src/kube/watch.js";
import { waitFor } from "../support/wait-for.js";

// The informer: one watcher per namespace, reflected into one store, changes out to handlers. Its API server is
// scripted: each namespace's list, then each namespace's watch events, after which its watch stays open until stopped.

type Svc = KubeObject & { spec?: { selector?: Record<string, string> }; status?: unknown };
const svc = (namespace: string, name: string, rv: string, extra: Partial<Svc> = {}): Svc => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace, resourceVersion: rv },
  ...extra,
});

function scriptedServer(lists: Record<string, Svc[]>, watches: Record<string, WatchEvent[]>) {
  const namespaceOf = (path: string): string => /\/namespaces\/([^/]+)\//.exec(path)?.[1] ?? "";
  const reader = {
    http: { observe: () => undefined } as unknown as KubeHttp,
    listPage: async (_r: unknown, opts: { namespace?: string }) => ({ items: lists[opts.namespace ?? ""] ?? [], resourceVersion: "1" }),
    get: async () => undefined,
  } as unknown as Reader;
  const opened = new Set<string>();
  const openWatch = (_http: KubeHttp, path: string, _params: unknown, onEvent: (e: WatchEvent) => void): WatchStream => {
    const namespace = namespaceOf(path);
    if (!opened.has(namespace)) {
      opened.add(namespace);
      for (const e of watches[namespace] ?? []) onEvent(e);
    }
    let end: (err: Error | null) => void = () => undefined;
    return { done: new Promise((resolve) => (end = resolve)), abort: () => end(null) };
  };
  return { reader, openWatch, watching: () => opened.size };
}

describe("Informer", () => {
  it("reflects each namespace's list and watch into one store, transforms every object, and tells handlers each change", async () => {
    const server = scriptedServer(
      { a: [svc("a", "s1", "1", { status: { big: true } })], b: [svc("b", "s2", "1")] },
      {
        a: [
          { type: "MODIFIED", object: svc("a", "s1", "2", { spec: { selector: { app: "x" } }, status: { big: true } }) },
          { type: "ADDED", object: svc("a", "s3", "3") },
        ],
        b: [{ type: "DELETED", object: svc("b", "s2", "4") }],
      },
    );
    const errors: unknown[] = [];
    // The transform drops status, as the operator's caches drop what reconcile never reads.
    const informer = new Informer<Svc>(Resources.service, ["a", "b"], { reader: server.reader, clock: new FakeClock(), onError: (e) => errors.push(e), openWatch: server.openWatch }, undefined, ({ status: _status, ...rest }) => rest);
    const changes: StoreChange<Svc>[] = [];
    informer.onChange((c) => changes.push(c));
    let synced = false;
    void informer.synced.then(() => (synced = true));
    informer.start();
    await informer.synced;
    expect(synced).toBe(true);
    await waitFor(async () => server.watching() === 2, { timeout: 5000, description: "both watches open" });
    informer.stop();

    expect(informer.store.list().map((o) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort()).toEqual(["a/s1@2", "a/s3@3"]);
    expect(informer.store.list().every((o) => o.status === undefined)).toBe(true);
    expect(informer.store.get("a/s1")?.spec?.selector).toEqual({ app: "x" });
    expect(changes.map((c) => `${c.type} ${c.object.metadata.namespace}/${c.object.metadata.name}`).sort()).toEqual([
      "added a/s1",
      "added a/s3",
      "added b/s2",
      "deleted b/s2",
      "modified a/s1",
    ]);
    expect(errors).toEqual([]);
  });

  it("is synced only once every namespace has been listed", async () => {
    let releaseB: () => void = () => undefined;
    const listedB = new Promise<void>((resolve) => (releaseB = resolve));
    const server = scriptedServer({ a: [], b: [] }, {});
    const slowReader = {
      ...server.reader,
      http: server.reader.http,
      listPage: async (r: never, opts: { namespace?: string }) => {
        if (opts.namespace === "b") await listedB;
        return server.reader.listPage(r, opts as never);
      },
    } as unknown as Reader;
    const informer = new Informer<Svc>(Resources.service, ["a", "b"], { reader: slowReader, clock: new FakeClock(), onError: () => undefined, openWatch: server.openWatch });
    let synced = false;
    void informer.synced.then(() => (synced = true));
    informer.start();
    await waitFor(async () => server.watching() === 1, { timeout: 5000, description: "a listed and watching" });
    expect(synced).toBe(false);
    releaseB();
    await informer.synced;
    expect(synced).toBe(true);
    informer.stop();
  });
});
