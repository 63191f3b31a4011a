// Writes kubernetes/crd.yaml from the single source in src/api/schema.ts.
// Usage: npx tsx hack/gen-crd.ts   (test/api/crd.test.ts fails when the committed file is stale)
import { writeFileSync } from "node:fs";
import path from "node:path";
import { crdYaml } from "../src/api/crd-yaml.js";

const file = path.resolve(import.meta.dirname, "../kubernetes/crd.yaml");
writeFileSync(file, crdYaml());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
