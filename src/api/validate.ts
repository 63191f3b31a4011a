import { Value, type ValueError } from "@sinclair/typebox/value";
import { ALL_CHOICES, MAX_CHOICES, MIN_CHOICES, ProxyServiceSpecSchema, Rules, plainSchema, type RuleName } from "./schema.js";
import { API_VERSION, KIND, type ProxyService, type ProxyServiceSpec } from "./types.js";

/** A field-level problem in a manifest: where, what, and how to fix it. */
export interface Problem {
  /** The path, e.g. `spec.port` or `metadata.name`. */
  readonly field: string;
  readonly problem: string;
  readonly fix: string;
}

type SpecRule = Exclude<RuleName, "serviceNameImmutable" | "nameFitsLabel">;

// The TypeScript twin of each CEL rule on the spec (the API server runs the CEL; these let
// `proxy-service render` reject the same input without a cluster). Keyed by the rule's name,
// so a new CEL rule without a twin fails to compile. They run on the defaulted spec, as the
// API server runs CEL after defaulting.
const specRuleChecks: Record<SpecRule, { field: string; holds: (spec: ProxyServiceSpec) => boolean }> = {
  rewriteNeedsPrefix: { field: "spec.uri.rewriteUri", holds: (s) => s.uri?.rewriteUri === undefined || s.uri.matchUriPrefix !== undefined },
  minNotAboveMax: {
    field: "spec.autoscaling.minReplicas",
    // The spec is defaulted (see below): both are set.
    holds: (s) => s.autoscaling!.minReplicas! <= s.autoscaling!.maxReplicas!,
  },
  targetDiffers: { field: "spec.target", holds: (s) => s.target === undefined || s.target !== s.serviceName },
  portsExcludeMainPort: { field: "spec.ports", holds: (s) => (s.ports ?? []).every((p) => p.port !== s.port) },
  warmupNeedsWeightedBalancer: {
    field: "spec.warmupDuration",
    holds: (s) => s.warmupDuration === undefined || s.loadBalancer === "LEAST_REQUEST" || s.loadBalancer === "ROUND_ROBIN",
  },
  choicesInRange: { field: "spec.leastRequest.choices", holds: (s) => isValidChoices(s.leastRequest?.choices) },
  leastRequestNeedsLeastRequest: { field: "spec.leastRequest", holds: (s) => s.leastRequest === undefined || s.loadBalancer === "LEAST_REQUEST" },
  outlierIntervalPositive: { field: "spec.outlierDetection.interval", holds: (s) => isAtLeastOneMs(s.outlierDetection?.interval) },
  outlierEjectionPositive: { field: "spec.outlierDetection.baseEjectionTime", holds: (s) => isAtLeastOneMs(s.outlierDetection?.baseEjectionTime) },
};

const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const MS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Whether a duration the schema's pattern accepted is at least 1ms (unset passes); the twin of CEL's duration(x) >= duration('1ms'). */
export function isAtLeastOneMs(duration: string | undefined): boolean {
  if (duration === undefined) return true;
  let ms = 0;
  for (const [, value, unit] of duration.matchAll(DURATION_PART)) ms += Number(value) * (MS_PER_UNIT[unit ?? ""] ?? Number.NaN);
  return ms >= 1;
}

/** Whether spec.leastRequest.choices is allowed (unset, a whole number in range, or "All"); the twin of choicesInRange. */
export function isValidChoices(choices: unknown): boolean {
  if (choices === undefined || choices === ALL_CHOICES) return true;
  return typeof choices === "number" && Number.isInteger(choices) && choices >= MIN_CHOICES && choices <= MAX_CHOICES;
}

/**
 * Checks a parsed manifest as the API server would on create (the schema, then the CEL rules
 * after defaulting), and returns the problems, or the ProxyService when there are none. The
 * transition rule (serviceName immutable) needs the old object and is left to the API server.
 * Pure.
 */
export function validateProxyService(input: unknown): { ok: true; proxyService: ProxyService } | { ok: false; problems: Problem[] } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return fail("(document)", "is not an object", `write a ProxyService manifest (apiVersion ${API_VERSION}, kind ${KIND})`);
  }
  const object = input as Record<string, unknown>;
  if (object.apiVersion !== API_VERSION || object.kind !== KIND) {
    return fail("apiVersion", `is ${String(object.apiVersion)}/${String(object.kind)}, not a ProxyService`, `set apiVersion: ${API_VERSION} and kind: ${KIND}`);
  }
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const name = metadata.name;
  if (typeof name !== "string" || name === "") return fail("metadata.name", "is missing", "give the ProxyService a name");
  if (name.length > 63) return fail("metadata.name", Rules.nameFitsLabel.message.split(": ")[0] ?? "", "choose a shorter name");
  if (object.spec === undefined) return fail("spec", "is missing", "add a spec with at least serviceName");
  const problems = [
    ...unknownFields(object.spec, plainSchema(ProxyServiceSpecSchema), "spec"),
    ...[...Value.Errors(ProxyServiceSpecSchema, object.spec)].map(schemaProblem),
  ];
  if (problems.length > 0) return { ok: false, problems: dedupe(problems) };
  const spec = Value.Default(ProxyServiceSpecSchema, structuredClone(object.spec)) as ProxyServiceSpec;
  for (const [ruleName, check] of Object.entries(specRuleChecks) as [SpecRule, (typeof specRuleChecks)[SpecRule]][]) {
    if (!check.holds(spec)) {
      const [problem, fix] = splitMessage(Rules[ruleName].message);
      problems.push({ field: check.field, problem, fix });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, proxyService: object as unknown as ProxyService };
}

function fail(field: string, problem: string, fix: string): { ok: false; problems: Problem[] } {
  return { ok: false, problems: [{ field, problem, fix }] };
}

/** Turns a TypeBox error into a sentence naming the field and what the schema allows there. */
function schemaProblem(error: ValueError): Problem {
  // TypeBox's JSON pointer (/ports/0/port) written as the API server does (spec.ports[0].port).
  const field = `spec${error.path.replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".")}`;
  const schema = error.schema as Record<string, unknown>;
  if (error.value === undefined) return { field, problem: "is required", fix: `set ${field}` };
  const allowed: string[] = [];
  if (Array.isArray(schema.enum)) allowed.push(`one of ${schema.enum.join(", ")}`);
  if (typeof schema.minimum === "number" && typeof schema.maximum === "number") allowed.push(`a number from ${schema.minimum} to ${schema.maximum}`);
  if (typeof schema.pattern === "string") allowed.push(`a value matching ${schema.pattern}`);
  if (typeof schema.maxLength === "number") allowed.push(`at most ${schema.maxLength} characters`);
  return {
    field,
    problem: `${JSON.stringify(error.value)} is invalid (${error.message.toLowerCase()})`,
    fix: allowed.length > 0 ? `use ${allowed.join(", ")}` : `see \`kubectl explain ps.${field}\``,
  };
}

/**
 * Fields the schema does not know. The API server's strict field validation (kubectl's default)
 * rejects them; the schema itself cannot say so, as `additionalProperties: false` is not allowed
 * in a CRD's structural schema.
 */
function unknownFields(value: unknown, schema: Record<string, unknown>, path: string): Problem[] {
  if (Array.isArray(value) && typeof schema.items === "object" && schema.items !== null) {
    return value.flatMap((item, i) => unknownFields(item, schema.items as Record<string, unknown>, `${path}[${i}]`));
  }
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (typeof value !== "object" || value === null || properties === undefined) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childSchema = properties[key];
    if (childSchema === undefined) {
      return [{ field: `${path}.${key}`, problem: "is not a field of ProxyService", fix: `remove it (see \`kubectl explain ps.${path}\`)` }];
    }
    return unknownFields(child, childSchema, `${path}.${key}`);
  });
}

function splitMessage(message: string): [string, string] {
  const at = message.indexOf(": ");
  return at < 0 ? [message, "see docs/api.md"] : [message.slice(0, at).replace(/^\S+ /, ""), message.slice(at + 2)];
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(p.field) ? false : (seen.add(p.field), true)));
}
