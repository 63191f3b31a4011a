import type { CelRule } from "./schema-kinds.js";

/** Bounds of spec.leastRequest.choices (why these: docs/api.md, "Least-request candidates"). */
export const MIN_CHOICES = 2;
export const MAX_CHOICES = 100;
/**
 * The proxies' default outlier detection (why these values: docs/api.md, "Outlier detection",
 * from bench/sim/outlier-defaults.ts). They are also Envoy's and Istio's own defaults.
 */
export const OUTLIER_DEFAULTS = { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 10 } as const;
/** A duration as Istio's DestinationRule takes it, e.g. 30s, 1m30s, 500ms. */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

/** The spelling of a full scan in spec.leastRequest.choices. */
export const ALL_CHOICES = "All";
/** Envoy's own choice_count default, and today's behaviour: no EnvoyFilter is rendered for it. */
export const DEFAULT_CHOICES = 2;

/**
 * Every CEL rule of the schema, by name. src/api/validate.ts gives each (but the transition
 * rule, which needs the old object) a TypeScript twin, so that `proxy-service render` rejects
 * what the API server rejects; the integration tests check that the two agree.
 */
export const Rules = {
  rewriteNeedsPrefix: {
    rule: "!has(self.rewriteUri) || has(self.matchUriPrefix)",
    message: "spec.uri.rewriteUri needs spec.uri.matchUriPrefix: set matchUriPrefix to the prefix to replace, or remove rewriteUri",
    fieldPath: ".rewriteUri",
    reason: "FieldValueRequired",
  },
  minNotAboveMax: {
    // has(): the API server also checks the rule against the schema's `default: {}`.
    rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
    message: "spec.autoscaling.minReplicas must not exceed spec.autoscaling.maxReplicas: lower minReplicas or raise maxReplicas",
    fieldPath: ".minReplicas",
  },
  serviceNameImmutable: {
    rule: "self == oldSelf",
    message: "spec.serviceName cannot be changed after creation: delete this ProxyService and create a new one for the other Service",
    reason: "FieldValueForbidden",
  },
  targetDiffers: {
    rule: "!has(self.target) || self.target != self.serviceName",
    message:
      "spec.target must differ from spec.serviceName (the target groups the application's pods, serviceName reaches the proxies): remove spec.target or choose another name",
    fieldPath: ".target",
  },
  portsExcludeMainPort: {
    rule: "!has(self.ports) || self.ports.all(p, p.port != self.port)",
    message: "spec.ports must not list spec.port (its protocol is spec.protocol): remove that entry from spec.ports",
    fieldPath: ".ports",
    reason: "FieldValueDuplicate",
  },
  warmupNeedsWeightedBalancer: {
    rule: "!has(self.warmupDuration) || self.loadBalancer in ['LEAST_REQUEST', 'ROUND_ROBIN']",
    message: "spec.warmupDuration works only with spec.loadBalancer LEAST_REQUEST or ROUND_ROBIN: remove warmupDuration or change loadBalancer",
    fieldPath: ".warmupDuration",
  },
  choicesInRange: {
    // int-or-string: the value is an int or a string in CEL, so the rule branches on its type.
    rule: `!has(self.choices) || (type(self.choices) == int ? self.choices >= ${MIN_CHOICES} && self.choices <= ${MAX_CHOICES} : self.choices == '${ALL_CHOICES}')`,
    message: `spec.leastRequest.choices must be a whole number from ${MIN_CHOICES} to ${MAX_CHOICES} or "${ALL_CHOICES}": use e.g. 4, or "${ALL_CHOICES}" for a full scan`,
    fieldPath: ".choices",
  },
  leastRequestNeedsLeastRequest: {
    rule: "!has(self.leastRequest) || self.loadBalancer == 'LEAST_REQUEST'",
    message: "spec.leastRequest works only with spec.loadBalancer LEAST_REQUEST: remove leastRequest or set loadBalancer to LEAST_REQUEST",
    fieldPath: ".leastRequest",
  },
  outlierIntervalPositive: {
    // has(): the API server also checks the rule against the schema's `default: {}` before filling it.
    rule: "!has(self.interval) || duration(self.interval) >= duration('1ms')",
    message: "spec.outlierDetection.interval must be at least 1ms (Istio refuses shorter): use e.g. 10s",
    fieldPath: ".interval",
  },
  outlierEjectionPositive: {
    rule: "!has(self.baseEjectionTime) || duration(self.baseEjectionTime) >= duration('1ms')",
    message: "spec.outlierDetection.baseEjectionTime must be at least 1ms (Istio refuses shorter): use e.g. 30s, or set enabled: false to turn ejection off",
    fieldPath: ".baseEjectionTime",
  },
  nameFitsLabel: {
    rule: "self.metadata.name.size() <= 63",
    message: "metadata.name must be at most 63 characters (it is used as a label value): choose a shorter name",
  },
} as const satisfies Record<string, CelRule>;
export type RuleName = keyof typeof Rules;
