import { describe, expect, it } from "vitest";
import { newCacheInformers } from "../../src/controller/caches.js";
import { PROXY_POD_SELECTOR } from "../../src/controller/proxy-pods.js";
import { DEFAULT_ROOT_NAMESPACE } from "../../src/api/mesh.js";
import { API_VERSION, KIND } from "../../src/api/types.js";
import type { Reader } from "../../src/kube/client.js";
import type { KubeHttp } from "../../src/kube/http.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { ResourceType } from "../../src/kube/resources.js";
import type { WatchStream } from "../../src/kube/watch.js";
import type { Scope } from "../../src/runtime/informer.js";
import { FakeClock } from "../support/fake-clock.js";
import { waitFor } from "../support/wait-for.js";

// Which kinds the operator caches, where, and under which label selector (docs/operator.md, "Caches"), read
// from the list requests newCacheInformers' informers send to an API server that answers at once.

const OWNED_SELECTOR = "app.kubernetes.io/managed-by=proxy-service-operator";

interface ListCall {
  readonly kind: string;
  readonly namespace: string;
  readonly labelSelector: string | undefined;
}

function fakeServer(objects: readonly KubeObject[]) {
  const calls: ListCall[] = [];
  const reader = {
    http: { observe: () => undefined } as unknown as KubeHttp,
    listPage: async (r: ResourceType, opts: { namespace?: string; labelSelector?: string }) => {
      calls.push({ kind: r.kind, namespace: opts.namespace ?? "*", labelSelector: opts.labelSelector });
      const items = objects.filter((o) => o.kind === r.kind && (opts.namespace === undefined || o.metadata.namespace === opts.namespace));
      return { items, resourceVersion: "1" };
    },
    get: async () => undefined,
  } as unknown as Reader;
  // Watches stay open and silent until stopped: the lists are all this test reads.
  const openWatch = (): WatchStream => {
    let end: (err: Error | null) => void = () => undefined;
    return { done: new Promise((resolve) => (end = resolve)), abort: () => end(null) };
  };
  const listed = (kind: string): string[] => calls.filter((c) => c.kind === kind).map((c) => `${c.namespace} ${c.labelSelector ?? "-"}`);
  return { reader, openWatch, listed };
}

async function started(scopes: readonly Scope[], objects: readonly KubeObject[]) {
  const server = fakeServer(objects);
  const built = newCacheInformers(scopes, { reader: server.reader, clock: new FakeClock(), onError: () => undefined, openWatch: server.openWatch });
  for (const informer of built.informers) informer.start();
  await Promise.all(built.informers.map((i) => i.synced));
  return { ...built, ...server, stop: () => built.informers.forEach((i) => i.stop()) };
}

const proxyService = (namespace: string): KubeObject => ({
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { namespace, name: "ps-s0", resourceVersion: "1" },
});

describe("newCacheInformers", () => {
  it("caches the owned kinds by the managed-by label, the users' DestinationRules whole, the proxy pods by their label", async () => {
    const { listed, stop } = await started([undefined], []);
    for (const kind of ["ServiceAccount", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Gateway", "VirtualService", "EnvoyFilter"]) {
      expect(listed(kind), kind).toEqual([`* ${OWNED_SELECTOR}`]);
    }
    expect(listed("DestinationRule")).toEqual(["* -"]);
    expect(listed("ProxyService")).toEqual(["* -"]);
    expect(listed("Pod")).toEqual([`* ${PROXY_POD_SELECTOR}`]);
    stop();
  });

  it("lists Services and EndpointSlices nowhere until a namespace holds a ProxyService, then there only", async () => {
    const { listed, caches, namespaceScopes, stop } = await started([undefined], [proxyService("shop")]);
    expect(caches.proxyServices.size).toBe(1);
    await waitFor(() => namespaceScopes.isSynced("shop"), { timeout: 1000 });
    expect(listed("Service")).toEqual(["shop -"]);
    expect(listed("EndpointSlice")).toEqual(["shop -"]);
    // Watching every namespace takes in the mesh's root namespace, whose policies select pods anywhere.
    expect(listed("AuthorizationPolicy").sort()).toEqual([`${DEFAULT_ROOT_NAMESPACE} -`, "shop -"].sort());
    stop();
  });

  it("leaves the mesh's root namespace out when the operator watches only other namespaces", async () => {
    const { listed, namespaceScopes, stop } = await started(["shop"], [proxyService("shop")]);
    await waitFor(() => namespaceScopes.isSynced("shop"), { timeout: 1000 });
    expect(listed("AuthorizationPolicy")).toEqual(["shop -"]);
    expect(listed("ProxyService")).toEqual(["shop -"]);
    stop();
  });
});
