import { describe, expect, it } from "vitest";
import { Store } from "../../src/runtime/store.js";
import type { KubeObject } from "../../src/kube/object.js";

const svc = (ns: string, name: string, rv: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { namespace: ns, name, resourceVersion: rv },
});

describe("Store", () => {
  it("reports added, modified and unchanged objects", () => {
    const store = new Store<KubeObject>();
    expect(store.apply(svc("a", "s", "1"))?.type).toBe("added");
    expect(store.apply(svc("a", "s", "1"))).toBeUndefined();
    expect(store.apply(svc("a", "s", "2"))?.type).toBe("modified");
    expect(store.get("a/s")?.metadata.resourceVersion).toBe("2");
  });

  it("a relist of one namespace reports what vanished there and leaves other namespaces alone", () => {
    const store = new Store<KubeObject>();
    store.apply(svc("a", "gone", "1"));
    store.apply(svc("a", "kept", "1"));
    store.apply(svc("b", "other", "1"));
    const changes = store.replace("a", [svc("a", "kept", "1"), svc("a", "new", "3")]);
    expect(changes.map((c) => `${c.type} ${c.object.metadata.name}`)).toEqual(["deleted gone", "added new"]);
    expect(store.list("b")).toHaveLength(1);
    expect(store.size).toBe(3);
  });
});
