import type { V1CustomResourceDefinition } from "@kubernetes/client-node";
import { ProxyServiceSpecSchema, ProxyServiceStatusSchema, plainSchema, rootValidations } from "./schema.js";
import { GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from "./types.js";

/**
 * The CustomResourceDefinition of ProxyService, built from the schema in schema.ts (the single
 * source). `npx tsx hack/gen-crd.ts` writes it to kubernetes/crd.yaml; a unit test fails when the
 * committed file is stale. Pure.
 */
export function buildCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { "app.kubernetes.io/name": "proxy-service-operator", "app.kubernetes.io/part-of": "proxy-service-operator" },
    },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: [...SHORT_NAMES] },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Service", type: "string", jsonPath: ".spec.serviceName", description: "The Service that callers use." },
            { name: "Target", type: "string", jsonPath: ".status.target", description: "The Service of the application's pods (resolved)." },
            { name: "LB", type: "string", jsonPath: ".spec.loadBalancer", description: "Load-balancing policy of the proxies." },
            {
              name: "Ready",
              type: "string",
              jsonPath: '.status.conditions[?(@.type=="Ready")].status',
              description: "Whether the proxies run and the Service reaches them.",
            },
            // Shown by default (issue 12): how many proxies serve matters, since every extra one balances with a thinner view.
            { name: "Proxies", type: "integer", jsonPath: ".status.readyReplicas", description: "Proxy pods serving (Ready)." },
            {
              name: "Global-View",
              type: "string",
              jsonPath: '.status.conditions[?(@.type=="GlobalView")].status',
              description: "False when so many proxies serve that the simulator predicts most of the balancing gain is lost.",
              priority: 1,
            },
            {
              name: "Reason",
              type: "string",
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
              description: "Why Ready is what it is.",
              priority: 1,
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description:
                "A ProxyService puts Istio gateway proxies in front of the Service spec.serviceName, so that requests to it are balanced in one place (least-request with a global view) over the pods of spec.target.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string", description: "APIVersion of this object: msvcbench.io/v1alpha1." },
                kind: { type: "string", description: "Kind of this object: ProxyService." },
                metadata: { type: "object" },
                spec: plainSchema(ProxyServiceSpecSchema),
                status: plainSchema(ProxyServiceStatusSchema),
              },
              "x-kubernetes-validations": rootValidations,
            },
          },
        },
      ],
    },
  } as unknown as V1CustomResourceDefinition;
}
