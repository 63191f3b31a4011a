import { describe, expect, it } from "vitest";
import { KubeClient } from "../../../src/kube/client.js";
import { fromKubeconfigFiles } from "../../../src/kube/connection.js";
import { statusOf } from "../../../src/kube/errors.js";
import { KubeHttp } from "../../../src/kube/http.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { adminKubeconfigPath, useTestNamespace } from "../support/cluster.js";
import { admin } from "../operator/support.js";

// The uid precondition of KubeClient.apply against the real API server: server-side apply creates a missing
// object, so a write planned from a cache that has not yet seen the user delete their Service would bring it
// back (the restore model's sequence 26 of seed 20261202 did, in a cold CI run). With the uid the write is
// refused instead.

const ns = useTestNamespace("kube-apply");
const client = new KubeClient(new KubeHttp(fromKubeconfigFiles([adminKubeconfigPath])));

const service = (name: string, selector: Record<string, string>): KubeObject =>
  ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns.name }, spec: { selector, ports: [{ port: 80 }] } }) as KubeObject;
const read = (name: string): Promise<KubeObject | undefined> =>
  admin.request<KubeObject>("GET", `/api/v1/namespaces/${ns.name}/services/${name}`).catch((err: unknown) => {
    if (statusOf(err) === 404) return undefined;
    throw err;
  });

describe("KubeClient.apply with a uid", () => {
  it("writes to the object with that uid, and neither recreates it once deleted nor writes to a namesake", async () => {
    const created = await client.apply(service("sn0", { app: "a" }));
    const uid = created.metadata.uid!;

    await client.apply(service("sn0", { app: "b" }), { force: true, uid });
    expect(((await read("sn0")) as { spec?: { selector?: unknown } }).spec?.selector).toEqual({ app: "b" });

    await admin.request("DELETE", `/api/v1/namespaces/${ns.name}/services/sn0`);
    const afterDelete = await client.apply(service("sn0", { app: "c" }), { force: true, uid }).then(() => 200, (err: unknown) => statusOf(err));
    expect(afterDelete).toBe(409);
    expect(await read("sn0")).toBeUndefined();

    // A Service of the same name made by the user again is another object: not written under the old uid (the
    // API server calls it an invalid change of the immutable metadata.uid).
    await client.apply(service("sn0", { app: "user" }));
    const namesake = await client.apply(service("sn0", { app: "c" }), { force: true, uid }).then(() => 200, (err: unknown) => statusOf(err));
    expect(namesake).toBe(422);
    expect(((await read("sn0")) as { spec?: { selector?: unknown } }).spec?.selector).toEqual({ app: "user" });

    // Without a uid, as for the objects the operator owns, a missing object is created (what the uid prevents).
    await client.apply(service("owned", { app: "d" }));
    expect(await read("owned")).toBeDefined();
  });
});
