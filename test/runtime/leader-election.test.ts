import { describe, expect, it } from "vitest";
import { FakeClock } from "../support/fake-clock.js";
import { LeaderElector, type Lease, type LeaseWatch } from "../../src/runtime/leader-election.js";
import type { KubeClient } from "../../src/kube/client.js";
import { KubeApiError } from "../../src/kube/errors.js";
import type { KubeObject } from "../../src/kube/object.js";

/** An in-memory Lease API with the API server's optimistic locking (resourceVersion) on update, and a watch. */
function fakeLeaseApi(): { client: KubeClient; lease: () => KubeObject | undefined; watch: LeaseWatch; watchers: () => number } {
  let stored: KubeObject | undefined;
  let rv = 0;
  const listeners = new Set<(lease: Lease) => void>();
  const notify = (): void => {
    for (const l of listeners) l(structuredClone(stored) as Lease);
  };
  const watch: LeaseWatch = (_rv, onLease) => {
    listeners.add(onLease);
    let end: (e: Error | null) => void = () => undefined;
    const done = new Promise<Error | null>((resolve) => (end = resolve));
    return { done, abort: () => (listeners.delete(onLease), end(null)) };
  };
  const client = {
    get: async () => (stored ? structuredClone(stored) : undefined),
    create: async (obj: KubeObject) => {
      if (stored) throw new KubeApiError(409, "AlreadyExists", "exists", "POST");
      stored = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      return stored;
    },
    replace: async (obj: KubeObject) => {
      if (obj.metadata.resourceVersion !== stored?.metadata.resourceVersion) throw new KubeApiError(409, "Conflict", "stale", "PUT");
      stored = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      notify();
      return stored;
    },
  } as unknown as KubeClient;
  return { client, lease: () => stored, watch, watchers: () => listeners.size };
}

const config = (identity: string) => ({
  namespace: "ns",
  name: "lease",
  identity,
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
});

/** Lets pending promise callbacks run (the fake API resolves at once). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe("LeaderElector", () => {
  it("lets one candidate lead while it renews, and another take over at once when it releases", async () => {
    const clock = new FakeClock(1_000_000);
    const api = fakeLeaseApi();
    const a = new LeaderElector(config("a"), api.client, clock);
    const b = new LeaderElector(config("b"), api.client, clock);
    expect(await a.acquire(() => undefined)).toBe(true);
    let bLeads = false;
    void b.acquire(() => undefined).then((v) => (bLeads = v));
    await settle();
    expect(bLeads).toBe(false);

    // a keeps renewing: b never leads, however long it waits.
    for (let t = 0; t < 30_000; t += 1_000) {
      clock.advance(1_000);
      await settle();
    }
    expect(bLeads).toBe(false);
    expect((api.lease()?.spec as { holderIdentity: string }).holderIdentity).toBe("a");

    // a shuts down gracefully and releases the lease: b takes over at its next retry, not 15 s later.
    await a.release();
    for (let t = 0; t < 4_000 && !bLeads; t += 1_000) {
      clock.advance(1_000);
      await settle();
    }
    expect(bLeads).toBe(true);
    expect((api.lease()?.spec as { holderIdentity: string; leaseTransitions: number }).holderIdentity).toBe("b");
  });

  it("waits out the full lease duration when the leader vanishes without releasing, and takes over at its end", async () => {
    const clock = new FakeClock(1_000_000);
    const api = fakeLeaseApi();
    // A lease held by a crashed replica, renewed just now.
    await api.client.create({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "lease", namespace: "ns" },
      spec: { holderIdentity: "crashed", leaseDurationSeconds: 15, renewTime: new Date(clock.now()).toISOString() },
    });
    const b = new LeaderElector(config("b"), api.client, clock);
    let ledAt = 0;
    void b.acquire(() => undefined).then(() => (ledAt = clock.now()));
    const start = clock.now();
    while (ledAt === 0 && clock.now() - start < 30_000) {
      clock.advance(1_000);
      await settle();
    }
    // Retries every 2 s would land at 16 s; the candidate wakes at the lease's expiry instead.
    expect(ledAt - start).toBe(15_000);
  });

  it("watching the Lease, replaces a crashed leader a lease duration after its last renewal, not after it noticed", async () => {
    const clock = new FakeClock(1_000_000);
    const api = fakeLeaseApi();
    const spec = (renewTime: number) => ({ holderIdentity: "crashed", leaseDurationSeconds: 15, renewTime: new Date(renewTime).toISOString() });
    await api.client.create({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "lease", namespace: "ns" }, spec: spec(clock.now()) });
    const b = new LeaderElector(config("b"), api.client, clock, api.watch);
    const start = clock.now();
    let ledAt = 0;
    void b.acquire(() => undefined).then(() => (ledAt = clock.now()));
    await settle();
    expect(api.watchers()).toBe(1);

    // The leader renews once more 700 ms in, then crashes. Polling every 2 s would see that renewal at
    // 2 s and wait until 17 s; the watch sees it at 700 ms.
    clock.advance(700);
    const lease = api.lease()!;
    await api.client.replace({ ...lease, spec: spec(clock.now()) });
    while (ledAt === 0 && clock.now() - start < 30_000) {
      clock.advance(100);
      await settle();
    }
    expect(ledAt - start).toBe(15_700);
    expect(api.watchers()).toBe(0); // the leader stops watching
  });
});
