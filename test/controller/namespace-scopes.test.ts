import { describe, expect, it } from "vitest";
import { FakeClock } from "../support/fake-clock.js";
import { Informer } from "../../src/runtime/informer.js";
import { NamespaceScopes } from "../../src/controller/namespace-scopes.js";
import { Store } from "../../src/runtime/store.js";
import type { Reader } from "../../src/kube/client.js";
import type { KubeHttp } from "../../src/kube/http.js";
import type { KubeObject } from "../../src/kube/object.js";
import { Resources } from "../../src/kube/resources.js";
import { waitFor } from "../support/wait-for.js";

const obj = (kind: string, namespace: string, name: string): KubeObject => ({ apiVersion: "v1", kind, metadata: { namespace, name, resourceVersion: "1" } });

/**
 * An API server whose lists answer only when the test releases them (per namespace), and whose watches
 * stay open, silent, until aborted.
 */
function fakeServer(objects: KubeObject[]) {
  const waiting = new Map<string, (() => void)[]>();
  const lists: string[] = [];
  const reader = {
    http: {
      observe: () => undefined,
      watch: (_path: string, _q: unknown, _on: unknown, opts: { signal: AbortSignal }) =>
        new Promise<void>((resolve) => opts.signal.addEventListener("abort", () => resolve(), { once: true })),
    } as unknown as KubeHttp,
    listPage: async (_r: unknown, opts: { namespace?: string }) => {
      const ns = opts.namespace ?? "";
      lists.push(ns);
      await new Promise<void>((resolve) => waiting.set(ns, [...(waiting.get(ns) ?? []), resolve]));
      return { items: objects.filter((o) => !opts.namespace || o.metadata.namespace === opts.namespace), resourceVersion: "1" };
    },
  } as unknown as Reader;
  const release = (ns: string): void => {
    for (const r of waiting.get(ns) ?? []) r();
    waiting.delete(ns);
  };
  return { reader, lists, release, pending: (ns: string) => (waiting.get(ns)?.length ?? 0) > 0 };
}

describe("NamespaceScopes", () => {
  it("caches a namespace from its first ProxyService until its last is gone, and says when it is synced", async () => {
    const server = fakeServer([obj("Service", "shop", "sn0"), obj("Service", "elsewhere", "big")]);
    const deps = { reader: server.reader, clock: new FakeClock(), onError: () => undefined };
    const services = new Informer<KubeObject>(Resources.service, [], deps);
    const proxyServices = new Store<KubeObject>();
    const scopes = new NamespaceScopes([services], proxyServices);
    const synced: string[] = [];
    scopes.onSynced((ns) => synced.push(ns));
    services.start();

    const ps = obj("ProxyService", "shop", "ps-s0");
    scopes.follow(proxyServices.apply(ps)!);
    expect(scopes.isSynced("shop")).toBe(false); // a reconcile here would see sn0 as missing: it must wait
    await waitFor(() => server.pending("shop"), { timeout: 1000 });
    server.release("shop");
    await waitFor(() => scopes.isSynced("shop"), { timeout: 1000 });
    expect(synced).toEqual(["shop"]);
    expect(services.store.list().map((s) => s.metadata.name)).toEqual(["sn0"]); // "elsewhere" never listed
    expect(server.lists).toEqual(["shop"]);

    scopes.follow(proxyServices.delete(ps)!);
    expect(scopes.isSynced("shop")).toBe(false);
    expect(services.store.size).toBe(0);
    expect(scopes.namespaces).toEqual([]);
    services.stop();
  });

  it("drops the list of a namespace whose last ProxyService went while it was being listed", async () => {
    const server = fakeServer([obj("Service", "shop", "sn0")]);
    const deps = { reader: server.reader, clock: new FakeClock(), onError: () => undefined };
    const services = new Informer<KubeObject>(Resources.service, [], deps);
    const proxyServices = new Store<KubeObject>();
    const scopes = new NamespaceScopes([services], proxyServices);
    services.start();
    const ps = obj("ProxyService", "shop", "ps-s0");
    scopes.follow(proxyServices.apply(ps)!);
    await waitFor(() => server.pending("shop"), { timeout: 1000 });
    scopes.follow(proxyServices.delete(ps)!);
    server.release("shop");
    // Not a sleep: the list's answer reaches the informer through promise continuations only, which all
    // run before the next macrotask.
    await new Promise((r) => setImmediate(r));
    expect(services.store.size).toBe(0);
    expect(services.isSynced("shop")).toBe(false);
    services.stop();
  });

  it("keeps a pinned namespace (the mesh's root, for AuthorizationPolicies) when its ProxyServices go", async () => {
    const server = fakeServer([obj("AuthorizationPolicy", "istio-system", "deny-all")]);
    const deps = { reader: server.reader, clock: new FakeClock(), onError: () => undefined };
    const policies = new Informer<KubeObject>(Resources.authorizationPolicy, ["istio-system"], deps);
    const proxyServices = new Store<KubeObject>();
    const scopes = new NamespaceScopes([policies], proxyServices, new Map([[policies, new Set(["istio-system"])]]));
    policies.start();
    await waitFor(() => server.pending("istio-system"), { timeout: 1000 });
    server.release("istio-system");
    await policies.synced;
    const ps = obj("ProxyService", "istio-system", "ps");
    scopes.follow(proxyServices.apply(ps)!);
    scopes.follow(proxyServices.delete(ps)!);
    expect(policies.isSynced("istio-system")).toBe(true);
    expect(policies.store.size).toBe(1);
    expect(server.lists).toEqual(["istio-system"]);
    policies.stop();
  });
});
