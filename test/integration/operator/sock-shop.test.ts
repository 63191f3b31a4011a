import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/kube/object.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { apply, get, getPs, readYaml, readyAddresses, readyPodIps, remove, waitReady } from "./support.js";

// Acceptance 2 of issue 4: the published Sock-Shop flow. The user deleted `carts`, made `carts-target`,
// then created `carts-proxy`: `carts` is created and reaches the proxies, `carts-target` is untouched.

interface Service extends KubeObject {
  spec: { selector?: Record<string, string>; ports?: unknown[] };
}

describe("the Sock-Shop flow (carts-proxy)", () => {
  const h = useOperator("op-sockshop");

  it("creates carts reaching the proxies and leaves the user's carts-target untouched", async () => {
    const { ns } = h;
    await apply(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "carts" },
        spec: {
          replicas: 3,
          selector: { matchLabels: { name: "carts" } },
          template: { metadata: { labels: { name: "carts" } }, spec: { containers: [{ name: "carts", image: "weaveworksdemos/carts:0.4.8" }] } },
        },
      },
      ns,
    );
    for (const obj of readYaml("example/sock-shop/carts-target.yaml")) await apply(obj, ns);
    // Pods turn Ready before the EndpointSlice controller lists them: wait for both, so that what
    // the target holds afterwards is compared with what it held before the operator came.
    const appIps = await waitFor(async () => {
      const ips = await readyPodIps(ns, "name=carts");
      return ips.length === 3 && JSON.stringify(await readyAddresses(ns, "carts-target")) === JSON.stringify(ips) ? ips : undefined;
    }, { description: "3 ready carts pods, all in carts-target's EndpointSlices" });
    const targetBefore = (await get<Service>("v1", "Service", ns, "carts-target"))!;

    for (const obj of readYaml("example/sock-shop/carts-proxy.yaml")) await apply(obj, ns);
    await waitReady(ns, "carts-proxy", 60_000);

    const carts = await waitFor(() => get<Service>("v1", "Service", ns, "carts"), { description: "carts created" });
    expect(carts.spec.selector).toEqual({ "proxyservice.msvcbench.io/proxy": `${ns}.carts-proxy` });
    expect(carts.metadata.ownerReferences?.[0]?.name).toBe("carts-proxy");
    await waitFor(async () => {
      const proxies = await readyPodIps(ns, "app.kubernetes.io/instance=carts-proxy");
      return proxies.length > 0 && JSON.stringify(await readyAddresses(ns, "carts")) === JSON.stringify(proxies);
    }, { description: "carts' EndpointSlices hold the proxy pods' IPs" });
    expect(await readyAddresses(ns, "carts-target")).toEqual(appIps);

    const targetAfter = (await get<Service>("v1", "Service", ns, "carts-target"))!;
    expect(targetAfter.metadata.resourceVersion).toBe(targetBefore.metadata.resourceVersion);
    expect((targetAfter.metadata.managedFields ?? []).map((m) => m.manager)).not.toContain("proxy-service-operator");
    expect((await getPs(ns, "carts-proxy"))!.status?.takeover).toEqual({ service: "carts", mode: "Created", state: "TakenOver" });

    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "carts-proxy");
    await waitFor(async () => (await get("v1", "Service", ns, "carts")) === undefined, { description: "carts (ours) deleted" });
    const targetLast = (await get<Service>("v1", "Service", ns, "carts-target"))!;
    expect(targetLast.metadata.resourceVersion).toBe(targetBefore.metadata.resourceVersion);
  });
});
