import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/controller/clock.js";
import { Watcher, type WatcherEvent } from "../../src/controller/watcher.js";
import { ApiAnswers } from "../../src/kube/api-answers.js";
import type { Reader } from "../../src/kube/client.js";
import { KubeApiError } from "../../src/kube/errors.js";
import type { KubeHttp } from "../../src/kube/http.js";
import type { KubeObject } from "../../src/kube/object.js";
import { Resources } from "../../src/kube/resources.js";
import type { WatchEvent, WatchStream } from "../../src/kube/watch.js";

const svc = (name: string, rv: string): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "ns", resourceVersion: rv } });

/** A scripted API server: each list returns the next page set, each watch plays the next script. */
function fakeServer(lists: { items: KubeObject[]; resourceVersion: string }[], watches: ((emit: (e: WatchEvent) => void, accept: () => void) => Error | null)[]) {
  const calls: string[] = [];
  const reader = {
    http: { observe: () => undefined } as unknown as KubeHttp,
    listPage: async () => {
      calls.push("list");
      const page = lists.shift();
      if (!page) throw new Error("no more lists scripted");
      return page;
    },
    get: async () => undefined,
  } as unknown as Reader;
  let watcher: Watcher | undefined;
  const openWatch = (_http: KubeHttp, _path: string, params: { resourceVersion: string }, onEvent: (e: WatchEvent) => void, onOpen?: () => void): WatchStream => {
    calls.push(`watch@${params.resourceVersion}`);
    const script = watches.shift();
    if (!script) {
      watcher?.stop();
      return { done: Promise.resolve(null), abort: () => undefined };
    }
    return { done: Promise.resolve(script(onEvent, () => onOpen?.())), abort: () => undefined };
  };
  return { calls, reader, openWatch, bind: (w: Watcher) => (watcher = w) };
}

describe("Watcher", () => {
  it("lists, resumes from the last bookmark, and relists from scratch on 410 Gone", async () => {
    const server = fakeServer(
      [
        { items: [svc("a", "10")], resourceVersion: "10" },
        { items: [svc("b", "30")], resourceVersion: "30" },
      ],
      [
        (emit) => {
          emit({ type: "ADDED", object: svc("c", "11") });
          emit({ type: "BOOKMARK", object: svc("", "15") });
          return null; // the server ended the watch (timeout): resume
        },
        () => new KubeApiError(410, "Expired", "too old resource version: 15", "WATCH"),
      ],
    );
    const events: WatcherEvent[] = [];
    const errors: unknown[] = [];
    const watcher = new Watcher(
      { resource: Resources.service, namespace: "ns" },
      {
        reader: server.reader,
        clock: new FakeClock(),
        emit: (e) => events.push(e),
        onError: (err) => errors.push(err),
        openWatch: server.openWatch,
      },
    );
    server.bind(watcher);
    await watcher.run();
    expect(server.calls).toEqual(["list", "watch@10", "watch@15", "list", "watch@30"]);
    expect(events.map((e) => (e.type === "listed" ? `listed ${e.items.map((i) => i.metadata.name).join(",")}` : `${e.type} ${e.object.metadata.name}`))).toEqual([
      "listed a",
      "applied c",
      "listed b",
    ]);
    expect(errors).toEqual([]); // 410 is part of the protocol, not an error to report
  });

  it("backs off and resumes (without relisting) after a failed watch", async () => {
    const clock = new FakeClock();
    const server = fakeServer([{ items: [], resourceVersion: "5" }], [() => new Error("connection refused")]);
    const errors: unknown[] = [];
    const watcher = new Watcher(
      { resource: Resources.service },
      { reader: server.reader, clock, emit: () => undefined, onError: (err) => errors.push(err), openWatch: server.openWatch },
    );
    server.bind(watcher);
    const running = watcher.run();
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    expect(clock.pendingTimers).toBe(1); // waiting 200 ms before retrying
    clock.advance(200);
    await running;
    expect(server.calls).toEqual(["list", "watch@5", "watch@5"]);
  });

  /** Lets the watcher's pending promise callbacks run (no timer involved). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  it("backs off from the shortest step again once a watch was accepted, however many failures came before", async () => {
    const clock = new FakeClock();
    const refused = (): Error => new Error("connection refused");
    const server = fakeServer([{ items: [], resourceVersion: "5" }], [refused, refused, refused, (_emit, accept) => (accept(), refused())]);
    const watcher = new Watcher({ resource: Resources.service }, { reader: server.reader, clock, emit: () => undefined, onError: () => undefined, openWatch: server.openWatch });
    server.bind(watcher);
    const running = watcher.run();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await settle();
      const before = clock.now();
      while (server.calls.length < i + 3) {
        clock.advance(100);
        await settle();
      }
      waits.push(clock.now() - before);
    }
    await running;
    // 0.2, 0.4, 0.8 s after three refusals; the fourth watch was accepted before it broke, so 0.2 s again.
    expect(waits).toEqual([200, 400, 800, 200]);
  });

  it("ends a backoff when another request succeeds, once per full backoff", async () => {
    const clock = new FakeClock();
    const answers = new ApiAnswers();
    const refused = (): Error => new Error("connection refused");
    const server = fakeServer([{ items: [], resourceVersion: "5" }], [refused, refused, refused]);
    const watcher = new Watcher(
      { resource: Resources.service },
      { reader: server.reader, clock, emit: () => undefined, onError: () => undefined, openWatch: server.openWatch, answers },
    );
    server.bind(watcher);
    const running = watcher.run();
    await settle();
    expect(server.calls).toEqual(["list", "watch@5"]);
    answers.answered(); // the server answered someone else: retry now, not in 200 ms
    await settle();
    expect(server.calls).toEqual(["list", "watch@5", "watch@5"]);
    expect(clock.now()).toBe(0);
    answers.answered(); // that retry failed too: this backoff (400 ms) is waited out in full
    await settle();
    expect(server.calls).toHaveLength(3);
    clock.advance(399);
    await settle();
    expect(server.calls).toHaveLength(3);
    clock.advance(1);
    await settle();
    expect(server.calls).toHaveLength(4);
    answers.answered(); // a full backoff passed, so the next one may be cut short again
    await settle();
    expect(server.calls).toHaveLength(5);
    await running;
  });

  it("transforms each list page as it arrives, so no raw page outlives the next request", async () => {
    const pages = [
      { items: [svc("a", "1"), svc("b", "1")], resourceVersion: "", continue: "p2" },
      { items: [svc("c", "1")], resourceVersion: "7" },
    ];
    const seen: string[] = [];
    const reader = {
      http: { observe: () => undefined } as unknown as KubeHttp,
      listPage: async () => {
        seen.push(`page ${pages.length}`);
        return pages.shift();
      },
    } as unknown as Reader;
    const events: WatcherEvent[] = [];
    const watcher: Watcher = new Watcher(
      { resource: Resources.service, namespace: "ns" },
      {
        reader,
        clock: new FakeClock(),
        emit: (e) => events.push(e),
        onError: () => undefined,
        transform: (obj) => {
          seen.push(`transform ${obj.metadata.name}`);
          return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: "ns", resourceVersion: "1" } };
        },
        openWatch: () => {
          watcher.stop();
          return { done: Promise.resolve(null), abort: () => undefined };
        },
      },
    );
    await watcher.run();
    expect(seen).toEqual(["page 2", "transform a", "transform b", "page 1", "transform c"]);
    expect(events).toHaveLength(1);
    expect(events[0]?.type === "listed" && events[0].items.map((i) => i.metadata.name)).toEqual(["a", "b", "c"]);
  });
});
