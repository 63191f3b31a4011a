// Writes the CRD from the single source in src/api/schema.ts into the chart's crds/ and kubernetes/crd.yaml
// (the same text; kubernetes/ is otherwise generated from the chart by hack/gen-manifests.ts).
// Usage: npx tsx hack/gen-crd.ts   (test/api/crd.test.ts fails when a committed file is stale)
import { writeFileSync } from "node:fs";
import path from "node:path";
import { crdYaml } from "../src/api/crd-yaml.js";

for (const file of ["charts/proxy-service-operator/crds/proxyservices.msvcbench.io.yaml", "kubernetes/crd.yaml"]) {
  const target = path.resolve(import.meta.dirname, "..", file);
  writeFileSync(target, crdYaml());
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
