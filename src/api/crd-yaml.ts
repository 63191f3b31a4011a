import { stringify } from "yaml";
import { buildCrd } from "./crd.js";

/** kubernetes/crd.yaml's exact text: a header saying it is generated, then the CRD. Pure. */
export function crdYaml(): string {
  const header = "# Generated from src/api/schema.ts by `npx tsx hack/gen-crd.ts`: do not edit by hand.\n";
  return header + stringify(buildCrd(), { lineWidth: 0, aliasDuplicateObjects: false });
}
