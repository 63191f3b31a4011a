import fc from "fast-check";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDefaults } from "../../../src/api/defaults.js";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type ProxyService } from "../../../src/api/types.js";
import { desired } from "../../../src/render/desired.js";
import { objectsInApplyOrder } from "../../../src/render/documents.js";
import { renderInput } from "../../render/arbitraries.js";
import { adminKubeConfig, createTestNamespace } from "../support/cluster.js";
import { apiErrorText, installCrd } from "./support.js";

const SAMPLES = 25;

// Every object render produces, for random valid specs, is accepted by the API server's own
// schemas (core, apps, autoscaling, policy, and Istio's real CRDs): server-side dry run. The
// ProxyService and the user's Service are created for real, so that ownerReferences carry a
// real uid and the takeover is the server-side apply it is in the operator.
describe("rendered objects on the API server", () => {
  let namespace: { name: string; cleanup: () => Promise<void> };
  let objects: k8s.KubernetesObjectApi;
  let custom: k8s.CustomObjectsApi;
  let core: k8s.CoreV1Api;

  beforeAll(async () => {
    installCrd();
    const kc = adminKubeConfig();
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    core = kc.makeApiClient(k8s.CoreV1Api);
    namespace = await createTestNamespace("api-render");
  });
  afterAll(async () => {
    await namespace.cleanup();
  });

  const samples = fc.sample(renderInput, { numRuns: SAMPLES, seed: 20260101 });

  it.each(samples.map((s, i) => ({ i, ...s })))("sample $i is accepted by a server-side dry run", async ({ i, proxyService, service }) => {
    const ns = namespace.name;
    const name = `ps-${i}`;
    const serviceName = `svc-${i}`;
    const ps: ProxyService = {
      ...proxyService,
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace: ns },
      spec: { ...proxyService.spec, serviceName, ...(proxyService.spec.target === undefined ? {} : { target: `${serviceName}-ep` }) },
    };
    const created = (await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body: ps, fieldValidation: "Strict" })) as ProxyService;
    const userService = await core.createNamespacedService({ namespace: ns, body: { ...service, metadata: { name: serviceName, namespace: ns } } });

    const outcome = desired(withDefaults(created), { service: userService });
    expect(outcome.kind).toBe("desired");
    if (outcome.kind !== "desired") return;
    for (const object of objectsInApplyOrder(outcome)) {
      const where = `${object.kind}/${object.metadata?.name}`;
      try {
        if (object === outcome.takenOverService) {
          // The takeover is a server-side apply onto the user's Service, forcing the fields we take.
          await objects.patch(object, undefined, "All", "proxy-service-operator", true, k8s.PatchStrategy.ServerSideApply);
        } else {
          await objects.create(object, undefined, "All");
        }
      } catch (err) {
        throw new Error(`${where} was rejected: ${apiErrorText(err)}`);
      }
    }
  });
});
