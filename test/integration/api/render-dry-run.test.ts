import fc from "fast-check";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDefaults } from "../../../src/api/defaults.js";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type ProxyService } from "../../../src/api/types.js";
import { desired } from "../../../src/render/desired.js";
import { objectsInApplyOrder } from "../../../src/render/documents.js";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import type { V1Service } from "@kubernetes/client-node";
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

  /** Creates the ProxyService and the Services for real, then dry-runs every rendered object. */
  async function dryRunRendered(ps: ProxyService, services: V1Service[], observed: (created: V1Service[]) => { service?: V1Service; target?: V1Service }) {
    const ns = namespace.name;
    const created = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL,
      body: { ...ps, metadata: { ...ps.metadata, namespace: ns } },
      fieldValidation: "Strict",
    })) as ProxyService;
    const live: V1Service[] = [];
    for (const svc of services) live.push(await core.createNamespacedService({ namespace: ns, body: { ...svc, metadata: { ...svc.metadata, namespace: ns } } }));
    const outcome = desired(withDefaults(created), observed(live));
    expect(outcome.kind).toBe("desired");
    if (outcome.kind !== "desired") return;
    for (const object of objectsInApplyOrder(outcome)) {
      const where = `${object.kind}/${object.metadata?.name}`;
      try {
        if (object === outcome.takenOverService && outcome.takeover.mode === "Modified") {
          // The takeover is a server-side apply onto the user's Service, forcing the fields we take.
          await objects.patch(object, undefined, "All", "proxy-service-operator", true, k8s.PatchStrategy.ServerSideApply);
        } else {
          await objects.create(object, undefined, "All");
        }
      } catch (err) {
        throw new Error(`${where} was rejected: ${apiErrorText(err)}`);
      }
    }
  }

  const fromFile = <T>(file: string, kind: string): T[] =>
    parseAllDocuments(readFileSync(new URL(`../../../${file}`, import.meta.url), "utf8"))
      .map((d) => d.toJS() as { kind?: string })
      .filter((o) => o.kind === kind) as T[];

  it("the published example's objects are accepted (sn0 from the sample app, taken over in place)", async () => {
    const [ps] = fromFile<ProxyService>("example/proxy-service-example.yaml", "ProxyService");
    const services = fromFile<V1Service>("example/sample-app.yaml", "Service");
    await dryRunRendered(ps!, services, ([sn0]) => ({ service: sn0 }));
  });

  it("the Sock-Shop carts objects are accepted (carts created, carts-target used as it is)", async () => {
    const [ps] = fromFile<ProxyService>("example/sock-shop/carts-proxy.yaml", "ProxyService");
    const services = fromFile<V1Service>("example/sock-shop/carts-target.yaml", "Service");
    await dryRunRendered(ps!, services, ([target]) => ({ target }));
  });

  it.each(samples.map((s, i) => ({ i, ...s })))("random sample $i is accepted by a server-side dry run", async ({ i, proxyService, service }) => {
    const name = `ps-${i}`;
    const serviceName = `svc-${i}`;
    const ps: ProxyService = {
      ...proxyService,
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name },
      spec: { ...proxyService.spec, serviceName, ...(proxyService.spec.target === undefined ? {} : { target: `${serviceName}-ep` }) },
    };
    await dryRunRendered(ps, [{ ...service, metadata: { name: serviceName } }], ([svc]) => ({ service: svc }));
  });
});
