import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { validateProxyService } from "../../src/api/validate.js";
import { invalidCases, manifestOf } from "./invalid-manifests.js";

const example = (file: string): unknown => parse(readFileSync(new URL(`../../example/${file}`, import.meta.url), "utf8"));

describe("validateProxyService", () => {
  it("accepts the published example unchanged", () => {
    expect(validateProxyService(example("proxy-service-example.yaml")).ok).toBe(true);
  });

  it.each(invalidCases)("rejects $title, naming $field", (c) => {
    const result = validateProxyService(manifestOf(c));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.field)).toContain(c.field);
    for (const p of result.problems) expect(p.fix.length).toBeGreaterThan(0);
  });

  it.each([2, 4, 100, "All"])("accepts spec.leastRequest.choices %s with LEAST_REQUEST", (choices) => {
    const result = validateProxyService(manifestOf({ title: "", field: "", spec: { serviceName: "sn0", leastRequest: { choices } } }));
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });

  it("rejects a field the schema does not know, as kubectl's strict validation does", () => {
    const result = validateProxyService({ ...manifestOf({ title: "", field: "", spec: { serviceName: "sn0", loadbalancer: "RANDOM" } }) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.field).toBe("spec.loadbalancer");
  });

  it("rejects a document of another kind", () => {
    const result = validateProxyService({ apiVersion: "v1", kind: "Service", metadata: { name: "x" } });
    expect(result.ok).toBe(false);
  });
});
