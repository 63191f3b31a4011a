import { describe, it } from "vitest";
import { renderFiles } from "../../src/cli/render.js";
import { LOAD_BALANCERS, PROTOCOLS } from "../../src/api/schema.js";
import { expectGolden, repoFile } from "./golden.js";

// Each case: the files `proxy-service render -f ...` gets, and testdata/<name>.golden.yaml.
const cases: { name: string; files: string[] }[] = [
  { name: "published-example", files: ["example/proxy-service-example.yaml", "example/sample-app.yaml"] },
  { name: "sock-shop-carts", files: ["example/sock-shop/carts-proxy.yaml", "example/sock-shop/carts-target.yaml"] },
  { name: "two-namespaces", files: ["test/render/testdata/two-namespaces.input.yaml"] },
  { name: "multi-port", files: ["test/render/testdata/multi-port.input.yaml"] },
  { name: "istio-mutual", files: ["test/render/testdata/istio-mutual.input.yaml"] },
  { name: "least-request-choices", files: ["test/render/testdata/least-request-choices.input.yaml"] },
  { name: "least-request-all", files: ["test/render/testdata/least-request-all.input.yaml"] },
];

describe("render golden files", () => {
  it.each(cases)("$name", ({ name, files }) => {
    expectGolden(name, renderFiles(files.map(repoFile), "default"));
  });

  // Every loadBalancer and protocol value, on the published example.
  const sample = repoFile("example/sample-app.yaml");
  const withSpec = (extra: string) => ({
    name: "inline.yaml",
    text: `apiVersion: msvcbench.io/v1alpha1\nkind: ProxyService\nmetadata:\n  name: ps-s0\nspec:\n  serviceName: sn0\n  port: 80\n${extra}`,
  });
  it.each([...LOAD_BALANCERS])("loadBalancer %s", (lb) => {
    expectGolden(`load-balancer-${lb}`, renderFiles([withSpec(`  loadBalancer: ${lb}\n`), sample], "default"));
  });
  it.each([...PROTOCOLS])("protocol %s", (protocol) => {
    expectGolden(`protocol-${protocol}`, renderFiles([withSpec(`  protocol: ${protocol}\n`), sample], "default"));
  });
});
