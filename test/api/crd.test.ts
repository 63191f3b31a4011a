import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildCrd } from "../../src/api/crd.js";
import { crdYaml } from "../../src/api/crd-yaml.js";

describe("the CRD", () => {
  for (const file of ["charts/proxy-service-operator/crds/proxyservices.msvcbench.io.yaml", "kubernetes/crd.yaml"]) {
    it(`${file} is the generated one (run \`npx tsx hack/gen-crd.ts\` when this fails)`, () => {
      const committed = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
      expect(committed).toBe(crdYaml());
    });
  }

  it("describes every field, so `kubectl explain` documents it", () => {
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, path: string): void => {
      if (typeof node.description !== "string" || node.description.length === 0) missing.push(path);
      const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [key, child] of Object.entries(properties)) walk(child, `${path}.${key}`);
      if (typeof node.items === "object" && node.items !== null) walk(node.items as Record<string, unknown>, `${path}[]`);
    };
    const root = buildCrd().spec.versions[0]?.schema?.openAPIV3Schema as unknown as Record<string, unknown>;
    const properties = root.properties as Record<string, Record<string, unknown>>;
    walk(properties.spec as Record<string, unknown>, "spec");
    walk(properties.status as Record<string, unknown>, "status");
    expect(missing).toEqual([]);
  });

  it("is structural: no const, $ref or additionalProperties: false anywhere", () => {
    const text = JSON.stringify(buildCrd());
    expect(text).not.toMatch(/"const"|"\$ref"|"additionalProperties":false|"\$id"/);
  });

  it("shows SERVICE, TARGET, LB, READY, PROXIES and AGE in `kubectl get ps`", () => {
    const columns = buildCrd().spec.versions[0]?.additionalPrinterColumns ?? [];
    expect(columns.filter((c) => (c.priority ?? 0) === 0).map((c) => c.name.toUpperCase())).toEqual(["SERVICE", "TARGET", "LB", "READY", "PROXIES", "AGE"]);
  });
});
