import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../src/api/errors.js";
import { parseQuantity } from "../../src/api/quantity.js";
import { ProxyServiceSpecSchema, plainSchema } from "../../src/api/schema.js";
import { desired } from "../../src/render/desired.js";
import { proxyService, sn0 } from "./fixtures.js";

// spec.resources as the CRD accepts it, whatever the value: the render either gives the proxies resources the
// API server takes, or refuses the spec with a SpecError that names the field (issue 18: "1Ki" CPU passed the
// CRD and made the renderer throw a plain Error, retried forever with no condition).

type Schema = { properties?: Record<string, Schema>; pattern?: string };
const resources = (plainSchema(ProxyServiceSpecSchema) as Schema).properties?.resources;
const patternOf = (list: "requests" | "limits", name: "cpu" | "memory"): RegExp => {
  const pattern = resources?.properties?.[list]?.properties?.[name]?.pattern;
  if (pattern === undefined) throw new Error(`the CRD has no pattern for spec.resources.${list}.${name}`);
  return new RegExp(pattern);
};

/** What the CRD accepts for one quantity field: a string its pattern matches, or an integer. */
const accepted = (pattern: RegExp): fc.Arbitrary<string | number> =>
  fc.oneof(fc.stringMatching(pattern), fc.integer({ min: -5, max: 100_000 }), fc.constantFrom("1Ki", "1e1.5", "-1", "0", "2.5", "+.5E3"));

const FIELDS = [
  ["requests", "cpu"],
  ["requests", "memory"],
  ["limits", "cpu"],
  ["limits", "memory"],
] as const;

describe("spec.resources: every quantity the CRD accepts", () => {
  it("renders to quantities the API server parses, or is refused with a SpecError naming the field", () => {
    const values = fc.record(Object.fromEntries(FIELDS.map(([list, name]) => [`${list}.${name}`, fc.option(accepted(patternOf(list, name)), { nil: undefined })])));
    fc.assert(
      fc.property(values, (v) => {
        const pick = (list: string, name: string) => (v[`${list}.${name}`] === undefined ? {} : { [name]: v[`${list}.${name}`] });
        const spec = { resources: { requests: { ...pick("requests", "cpu"), ...pick("requests", "memory") }, limits: { ...pick("limits", "cpu"), ...pick("limits", "memory") } } };
        let outcome;
        try {
          outcome = desired(proxyService(spec), { service: sn0 });
        } catch (err) {
          expect(err).toBeInstanceOf(SpecError);
          const field = (err as SpecError).field;
          expect(FIELDS.map(([list, name]) => `resources.${list}.${name}`)).toContain(field);
          expect((err as SpecError).message).toMatch(new RegExp(`^spec\\.${field.replace(/\./g, "\\.")}: .+; .+`));
          return;
        }
        expect(outcome.kind).toBe("desired");
        if (outcome.kind !== "desired") return;
        const container = outcome.deployment.spec?.template.spec?.containers[0];
        for (const [list, name] of FIELDS) {
          const rendered = container?.resources?.[list]?.[name];
          expect(typeof rendered).toBe("string");
          expect(parseQuantity(rendered as string).nanos).toBeGreaterThanOrEqual(0n);
        }
        const config = JSON.parse(outcome.deployment.spec?.template.metadata?.annotations?.["proxy.istio.io/config"] ?? "{}") as { concurrency?: unknown };
        expect(Number.isSafeInteger(config.concurrency)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    [{ requests: { cpu: "1Ki" } }, "resources.requests.cpu"],
    [{ requests: { cpu: "-1" } }, "resources.requests.cpu"],
    [{ requests: { cpu: "3" } }, "resources.requests.cpu"],
    [{ limits: { memory: "64Mi" } }, "resources.requests.memory"],
  ])("refuses %j with a SpecError on %s", (resourcesSpec, field) => {
    expect(() => desired(proxyService({ resources: resourcesSpec }), { service: sn0 })).toThrow(expect.objectContaining({ name: "SpecError", field }));
  });
});
