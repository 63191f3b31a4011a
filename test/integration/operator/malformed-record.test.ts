import { describe, expect, it } from "vitest";
import { Annotations, Labels } from "../../../src/api/takeover.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { apply, deploySampleApp, get, getPs, mergePatch, readYaml, readyAddresses, readyCondition, remove, waitReady, waitReason } from "./support.js";

// A takeover record someone broke by hand (issue 18): the operator neither guesses a restore nor retries forever
// without a word. Deleting the ProxyService waits, with RestoreRefused in Ready, until the Service is put right.

interface Service extends KubeObject {
  spec: { selector?: Record<string, string> };
}

describe("a malformed takeover record on a taken-over Service", () => {
  const h = useOperator("op-malformed");

  it("holds the deletion with RestoreRefused until the Service is put right by hand, then finishes it", async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await waitFor(async () => (await readyAddresses(ns, "sn0")).length === 10, { description: "sn0 ready" });
    for (const obj of readYaml("example/proxy-service-example.yaml")) await apply(obj, ns);
    await waitReady(ns, "ps-s0");

    await mergePatch("v1", "Service", ns, "sn0", { metadata: { annotations: { [Annotations.takeover]: "{not json" } } });
    await waitReason(ns, "ps-s0", "TakeoverRefused");
    const takenOver = (await get<Service>("v1", "Service", ns, "sn0"))!;

    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0");
    const refused = await waitReason(ns, "ps-s0", "RestoreRefused");
    expect(readyCondition(refused)?.message).toContain(Annotations.takeover);
    expect(refused.metadata.deletionTimestamp).toBeDefined();
    const sn0 = (await get<Service>("v1", "Service", ns, "sn0"))!;
    expect(sn0.spec.selector).toEqual(takenOver.spec.selector); // nothing guessed
    expect(sn0.metadata.annotations?.[Annotations.takeover]).toBe("{not json");

    // The fix by hand (docs/operator.md): the original selector back, the annotation gone. The Service's event
    // brings the ProxyService back to its cleanup, which then finishes.
    await mergePatch("v1", "Service", ns, "sn0", { metadata: { annotations: { [Annotations.takeover]: null } }, spec: { selector: { app: "s0", [Labels.proxy]: null } } });
    await waitFor(async () => (await getPs(ns, "ps-s0")) === undefined, { timeout: 30_000, description: "ps-s0 deleted" });
    await waitFor(async () => (await readyAddresses(ns, "sn0")).length === 10, { description: "sn0 reaches the app pods" });
  });
});
