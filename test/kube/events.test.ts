import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { REPORTING_CONTROLLER } from "../../src/api/names.js";
import { EventRecorder, type EventInput } from "../../src/kube/events.js";
import type { KubeObject } from "../../src/kube/object.js";

// The event recorder: events.k8s.io/v1 Events naming this controller, the same event about the same object sent
// once per ten minutes, the memory of what was sent bounded, and a failed publish never thrown.

const ps = (uid: string): KubeObject => ({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0", namespace: "shop", uid, resourceVersion: "7" } });
const warning: EventInput = { type: "Warning", reason: "SpecInvalid", note: "spec.port: Service \"sn0\" has no port 8080; set spec.port to 80", action: "Reconcile" };

function recorder(fail = false) {
  const created: KubeObject[] = [];
  const errors: unknown[] = [];
  const client = {
    create: async <T extends KubeObject>(obj: KubeObject): Promise<T> => {
      if (fail) throw new Error("events is forbidden");
      created.push(obj);
      return obj as T;
    },
  };
  return { created, errors, events: new EventRecorder(client, "pod-1", (e) => errors.push(e)) };
}

describe("EventRecorder", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-03T12:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("publishes an events.k8s.io/v1 Event about the object, naming the controller and its instance", async () => {
    const { created, events } = recorder();
    await events.publish(ps("u1"), warning);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { namespace: "shop" },
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: "pod-1",
      reason: "SpecInvalid",
      type: "Warning",
      note: warning.note,
      regarding: { kind: "ProxyService", name: "ps-s0", uid: "u1", resourceVersion: "7" },
    });
    expect(created[0]?.metadata.name).toMatch(/^ps-s0\.[0-9a-f]{16}$/);
  });

  it("sends the same reason and note about the same object once per ten minutes", async () => {
    const { created, events } = recorder();
    await events.publish(ps("u1"), warning);
    vi.setSystemTime(Date.now() + 599_999);
    await events.publish(ps("u1"), warning);
    expect(created).toHaveLength(1);
    await events.publish(ps("u2"), warning); // another object (a successor of the same name) is not the same event
    await events.publish(ps("u1"), { ...warning, note: "another sentence" });
    expect(created).toHaveLength(3);
    vi.setSystemTime(Date.now() + 1);
    await events.publish(ps("u1"), warning);
    expect(created).toHaveLength(4);
  });

  it("forgets what it sent once it remembers more than 10,000 events, so memory stays bounded", async () => {
    const { created, events } = recorder();
    await events.publish(ps("u0"), warning);
    for (let i = 1; i <= 10_000; i++) await events.publish(ps(`u${i}`), warning);
    expect(created).toHaveLength(10_001);
    await events.publish(ps("u0"), warning); // forgotten with the rest: sent again
    expect(created).toHaveLength(10_002);
  });

  it("never throws when publishing fails: the error goes to onError", async () => {
    const { errors, events } = recorder(true);
    await expect(events.publish(ps("u1"), warning)).resolves.toBeUndefined();
    expect(errors).toEqual([new Error("events is forbidden")]);
  });
});
