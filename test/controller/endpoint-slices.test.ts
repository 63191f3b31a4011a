import { describe, expect, it } from "vitest";
import { readyEndpointsOf, summarizeEndpointSlice, SERVICE_NAME_LABEL, type EndpointSliceSummary } from "../../src/controller/endpoint-slices.js";
import { Store } from "../../src/runtime/store.js";
import type { KubeObject } from "../../src/kube/object.js";
import { NS } from "./fixtures.js";

const slice = (name: string, service: string, ready: (boolean | undefined)[], addressType = "IPv4"): KubeObject => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name, namespace: NS, resourceVersion: "7", labels: { [SERVICE_NAME_LABEL]: service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" } },
  addressType,
  endpoints: ready.map((r, i) => ({ addresses: [`10.0.0.${i}`], ...(r === undefined ? {} : { conditions: { ready: r } }) })),
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
});

function store(...slices: KubeObject[]): Store<EndpointSliceSummary> {
  const s = new Store<EndpointSliceSummary>();
  for (const x of slices) s.apply(summarizeEndpointSlice(x));
  return s;
}

describe("summarizeEndpointSlice", () => {
  it("keeps whose slice it is and its ready count, not the endpoints", () => {
    const summary = summarizeEndpointSlice(slice("sn0-ep-abc", "sn0-ep", [true, false, undefined]));
    expect(summary).toEqual({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "sn0-ep-abc", namespace: NS, resourceVersion: "7", labels: { [SERVICE_NAME_LABEL]: "sn0-ep" } },
      addressType: "IPv4",
      readyEndpoints: 2, // unset `ready` counts as ready, as the API says
    });
  });

  it("counts a slice without endpoints (endpoints: null) as zero", () => {
    expect(summarizeEndpointSlice({ ...slice("s", "sn0-ep", []), endpoints: null }).readyEndpoints).toBe(0);
  });
});

describe("readyEndpointsOf", () => {
  it("sums the slices of one Service and ignores the others", () => {
    const s = store(slice("a", "sn0-ep", [true, true]), slice("b", "sn0-ep", [true, false]), slice("c", "sn0", [true, true, true, true]));
    expect(readyEndpointsOf(s, NS, "sn0-ep")).toBe(3);
    expect(readyEndpointsOf(s, NS, "sn0")).toBe(4);
    expect(readyEndpointsOf(s, NS, "missing")).toBe(0);
    expect(readyEndpointsOf(s, "elsewhere", "sn0-ep")).toBe(0);
  });

  it("does not add up the address families of a dual-stack Service (each pod is in both)", () => {
    const s = store(slice("v4", "sn0-ep", [true, true]), slice("v6", "sn0-ep", [true, true], "IPv6"));
    expect(readyEndpointsOf(s, NS, "sn0-ep")).toBe(2);
  });
});
