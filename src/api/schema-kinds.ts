import { Kind, Type, TypeRegistry, type SchemaOptions, type TSchema } from "@sinclair/typebox";
import { QUANTITY } from "./quantity.js";

// Building blocks of src/api/schema.ts that Kubernetes' structural OpenAPI needs written in a
// particular way, and that TypeBox's Value functions must still understand.

/** A CEL rule as the API server evaluates it (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

export function cel(rules: readonly CelRule[]): { "x-kubernetes-validations": CelRule[] } {
  return { "x-kubernetes-validations": [...rules] };
}

// Two kinds of our own, so that TypeBox's Value.Check/Errors (used by `proxy-service render`)
// understand the two shapes written as plain OpenAPI for the CRD. Registering is idempotent.
TypeRegistry.Set<{ enum: readonly string[] }>("StringEnum", (schema, value) => typeof value === "string" && schema.enum.includes(value));
TypeRegistry.Set("IntOrString", (_schema, value) => (typeof value === "number" && Number.isInteger(value)) || typeof value === "string");
TypeRegistry.Set("Quantity", (_schema, value) => (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && QUANTITY.test(value)));

/** A string restricted to `values`, typed as their union. */
export function stringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions) {
  return Type.Unsafe<T[number]>({ [Kind]: "StringEnum", type: "string", enum: [...values], ...options });
}

/** A Kubernetes resource quantity: `1`, `0.5`, `100m`, `128Mi` (int or string, as in core/v1), in quantity.ts's grammar. */
export function quantity(options: SchemaOptions) {
  return Type.Unsafe<string | number>({
    [Kind]: "Quantity",
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: QUANTITY.source,
    "x-kubernetes-int-or-string": true,
    ...options,
  });
}

/**
 * An integer or a string (`x-kubernetes-int-or-string`, as a Deployment's maxUnavailable). The
 * structural schema allows only the bare `anyOf: [integer, string]` here, with no bounds inside
 * it, so the allowed values are checked by a CEL rule on the parent.
 */
export function intOrString<T extends string>(options: SchemaOptions) {
  return Type.Unsafe<number | T>({
    [Kind]: "IntOrString",
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
    ...options,
  });
}

/** A Service name: an RFC 1035 DNS label, as the API server requires of Services. */
export function serviceNameField(description: string, extra: SchemaOptions = {}) {
  return Type.String({
    description,
    minLength: 1,
    maxLength: 63,
    pattern: "^[a-z]([-a-z0-9]*[a-z0-9])?$",
    ...extra,
  });
}

export function portNumber(description: string, extra: SchemaOptions = {}) {
  return Type.Integer({ description, format: "int32", minimum: 1, maximum: 65535, ...extra });
}

/** Lets tests and crd.ts walk the schema without TypeBox's symbol keys. */
export function plainSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}
