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
    const changed = { ...svc("a", "s", "2"), spec: { selector: { app: "x" } } } as KubeObject;
    expect(store.apply(changed)?.type).toBe("modified");
    expect(store.get("a/s")?.metadata.resourceVersion).toBe("2");
  });

  it("stores a new version that changed nothing it keeps, without reporting it", () => {
    const store = new Store<KubeObject>();
    const pod = (rv: string, serving: boolean): KubeObject => ({ ...svc("a", "p", rv), serving } as KubeObject);
    store.apply(pod("1", false));
    // The transform dropped what changed (a status, managedFields): no reader can tell, so no handler is told.
    expect(store.apply(pod("2", false))).toBeUndefined();
    expect(store.get("a/p")?.metadata.resourceVersion).toBe("2");
    expect(store.apply(pod("3", true))).toMatchObject({ type: "modified", old: { metadata: { resourceVersion: "2" } } });
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
