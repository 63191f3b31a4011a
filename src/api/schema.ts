import { Type, type Static } from "@sinclair/typebox";
import { ALL_CHOICES, DEFAULT_CHOICES, DURATION_PATTERN, MAX_CHOICES, MIN_CHOICES, OUTLIER_DEFAULTS, Rules } from "./rules.js";
import { cel, intOrString, portNumber, quantity, serviceNameField, stringEnum, type CelRule } from "./schema-kinds.js";

export { ALL_CHOICES, DEFAULT_CHOICES, DURATION_PATTERN, MAX_CHOICES, MIN_CHOICES, OUTLIER_DEFAULTS, Rules, type RuleName } from "./rules.js";
export { plainSchema, type CelRule } from "./schema-kinds.js";

// The single source of the ProxyService API: the TypeScript types (Static<>), the defaults
// (withDefaults reads the `default` keywords) and the CRD's OpenAPI schema (src/api/crd.ts)
// all come from the definitions below, so they cannot disagree.
//
// Kubernetes accepts only a "structural" subset of OpenAPI v3: no `const`, no `$ref`, and no
// `type` inside `anyOf`. So enums are built with `stringEnum` (a plain `enum`) rather than
// TypeBox's union of literals, and every node carries a `description` for `kubectl explain`.

export const LOAD_BALANCERS = ["LEAST_REQUEST", "ROUND_ROBIN", "RANDOM", "PASSTHROUGH"] as const;
export const PROTOCOLS = ["HTTP", "HTTP2", "GRPC"] as const;
export const PORT_PROTOCOLS = ["HTTP", "HTTP2", "GRPC", "TCP"] as const;
export const CALLER_TLS_MODES = ["DISABLE", "ISTIO_MUTUAL"] as const;

export const UriSchema = Type.Object(
  {
    matchUriPrefix: Type.Optional(
      Type.String({
        description:
          "Only requests whose path starts with this prefix are routed to the target (on spec.port); others get 404. Must start with '/'.",
        minLength: 1,
        maxLength: 1024,
        pattern: "^/",
      }),
    ),
    rewriteUri: Type.Optional(
      Type.String({
        description:
          "Replaces the matched prefix (spec.uri.matchUriPrefix) before the request reaches the target. Must start with '/'; needs matchUriPrefix.",
        minLength: 1,
        maxLength: 1024,
        pattern: "^/",
      }),
    ),
  },
  {
    description: "Optional URI prefix match and rewrite for spec.port, as in the published prototype.",
    ...cel([
      Rules.rewriteNeedsPrefix,
    ]),
  },
);

export const ExtraPortSchema = Type.Object(
  {
    port: portNumber("A port of the Service spec.serviceName (its `port`, not its targetPort)."),
    protocol: stringEnum(PORT_PROTOCOLS, {
      description:
        "How the proxies carry this port: HTTP, HTTP2 or GRPC are balanced per request with spec.loadBalancer; TCP is balanced per connection.",
    }),
  },
  { description: "The protocol of one more port of the Service, overriding the detection from its appProtocol or name." },
);

/**
 * Two proxies on two nodes survive a node failure and a drain without a fallback; one proxy has the best
 * global view. Measured (docs/api.md, "Sizing"): with two choices, K = 2 keeps about 90 % of K = 1's gain
 * over the sidecars; a node failure under the only proxy stops every request until the node is declared
 * unreachable (40-50 s upstream), where two proxies lose nothing.
 */
export const DEFAULT_MIN_REPLICAS = 2;

export const AutoscalingSchema = Type.Object(
  {
    minReplicas: Type.Optional(
      Type.Integer({
        description:
          "Fewest proxy pods the HorizontalPodAutoscaler keeps. 2 (spread over nodes): a node failure or a drain then never leaves the Service without a serving proxy, for about a tenth of one proxy's gain with least-request's two choices (docs/api.md, Sizing). 1 gives the best global view, and the Service falls back to the application's pods while its proxy is gone.",
        format: "int32",
        minimum: 1,
        maximum: 1000,
        default: DEFAULT_MIN_REPLICAS,
      }),
    ),
    maxReplicas: Type.Optional(
      Type.Integer({ description: "Most proxy pods the HorizontalPodAutoscaler may run.", format: "int32", minimum: 1, maximum: 1000, default: 5 }),
    ),
    targetCPUUtilizationPercentage: Type.Optional(
      Type.Integer({
        description:
          "Average CPU use of the proxy pods, as a percentage of their CPU request, that the autoscaler aims for. 80 (the published prototype used 70): a proxy should be used well before another is added, since every extra proxy sees a smaller slice of the load and balances worse.",
        format: "int32",
        minimum: 1,
        maximum: 100,
        default: 80,
      }),
    ),
  },
  {
    description: "Autoscaling of the proxy pods (autoscaling/v2 HorizontalPodAutoscaler on CPU). A PodDisruptionBudget is added when maxReplicas > 1.",
    default: {},
    ...cel([
      Rules.minNotAboveMax,
    ]),
  },
);

const ResourceListSchema = (what: string, cpu: string, memory: string) =>
  Type.Object(
    {
      cpu: Type.Optional(quantity({ description: `CPU ${what} of the proxy container.`, default: cpu })),
      memory: Type.Optional(quantity({ description: `Memory ${what} of the proxy container.`, default: memory })),
    },
    { description: `Compute resource ${what}s of the proxy container.`, default: {} },
  );

export const ResourcesSchema = Type.Object(
  {
    // 500m (the published prototype used 100m): with 100m a proxy scales out at about 200 req/s
    // (Envoy's estimated 0.35 cores per 1,000 req/s), so the published ~580 req/s ran on 3 proxies
    // and lost part of the gain; 500m at 80 % carries about 1,100 req/s on one. docs/api.md, "Sizing".
    requests: Type.Optional(ResourceListSchema("request", "500m", "128Mi")),
    limits: Type.Optional(ResourceListSchema("limit", "2", "1Gi")),
  },
  {
    description:
      "Resources of the proxy (istio-proxy) container. The CPU request is what the autoscaler's target percentage refers to, so it is always set; it also sets the proxy's worker threads (one per requested core, rounded up).",
    default: {},
  },
);

export const LeastRequestSchema = Type.Object(
  {
    choices: Type.Optional(
      intOrString<typeof ALL_CHOICES>({
        description: `How many target pods least-request compares per request: a whole number from ${MIN_CHOICES} to ${MAX_CHOICES} (Envoy's choice_count, drawn at random with replacement), or "${ALL_CHOICES}" for a full scan of every pod (Envoy's selection_method FULL_SCAN, Envoy 1.30 / Istio 1.22 or later). Default ${DEFAULT_CHOICES}, Istio's behaviour. Rendered as an EnvoyFilter on the proxies when not ${DEFAULT_CHOICES}.`,
        default: DEFAULT_CHOICES,
      }),
    ),
  },
  {
    description: "Least-request tuning of the proxies (only with spec.loadBalancer LEAST_REQUEST). See docs/api.md.",
    ...cel([
      Rules.choicesInRange,
    ]),
  },
);

const durationField = (description: string, fallback: string) =>
  Type.String({ description, pattern: DURATION_PATTERN, maxLength: 32, default: fallback });

export const OutlierDetectionSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        description:
          "Whether the proxies eject target pods that fail (DestinationRule trafficPolicy.outlierDetection). On by default: a pod that answers errors fast has few requests in flight, so least-request sends it more than its share (docs/api.md).",
        default: true,
      }),
    ),
    consecutive5xxErrors: Type.Optional(
      Type.Integer({
        description: `Errors in a row (5xx, or a failed connection) that eject a pod. Default ${OUTLIER_DEFAULTS.consecutive5xxErrors}.`,
        format: "int32",
        minimum: 1,
        maximum: 1000,
        default: OUTLIER_DEFAULTS.consecutive5xxErrors,
      }),
    ),
    interval: Type.Optional(durationField(`How often ejected pods are considered for return, e.g. '10s'. Default ${OUTLIER_DEFAULTS.interval}.`, OUTLIER_DEFAULTS.interval)),
    baseEjectionTime: Type.Optional(
      durationField(
        `How long a pod stays out, times the number of times it was ejected (at most 300s, Envoy's max_ejection_time), e.g. '30s'. Default ${OUTLIER_DEFAULTS.baseEjectionTime}.`,
        OUTLIER_DEFAULTS.baseEjectionTime,
      ),
    ),
    maxEjectionPercent: Type.Optional(
      Type.Integer({
        description: `Most target pods out at once, in percent of them; one may always go. Default ${OUTLIER_DEFAULTS.maxEjectionPercent}.`,
        format: "int32",
        minimum: 1,
        maximum: 100,
        default: OUTLIER_DEFAULTS.maxEjectionPercent,
      }),
    ),
  },
  {
    description: "Outlier detection of the proxies towards the target: on by default, tune it or set enabled: false. See docs/api.md.",
    default: {},
    ...cel([
      Rules.outlierIntervalPositive,
      Rules.outlierEjectionPositive,
    ]),
  },
);

export const CallerTlsSchema = Type.Object(
  {
    mode: Type.Optional(
      stringEnum(CALLER_TLS_MODES, {
        description:
          "DISABLE (the published behaviour): callers' sidecars reach the proxies in plain text. ISTIO_MUTUAL: the proxies' Gateway servers require Istio mTLS and a DestinationRule for spec.serviceName makes callers' sidecars originate it.",
        default: "DISABLE",
      }),
    ),
  },
  { description: "Security of the caller-to-proxy hop. See the security section of docs/api.md.", default: {} },
);

export const ProxyServiceSpecSchema = Type.Object(
  {
    serviceName: serviceNameField(
      "The Service that callers use. The operator takes it over so that it reaches the proxies (or creates it when missing). Cannot change after creation.",
      cel([
        Rules.serviceNameImmutable,
      ]),
    ),
    target: Type.Optional(
      serviceNameField(
        "The Service that groups the application's pods; the proxies send traffic to it. Defaults to '<serviceName>-ep'. Created by the operator as a copy of spec.serviceName's selector and ports when it does not exist; used unchanged when you made it.",
      ),
    ),
    loadBalancer: Type.Optional(
      stringEnum(LOAD_BALANCERS, {
        description:
          "Istio load-balancing policy of the proxies towards the target (DestinationRule trafficPolicy.loadBalancer.simple). LEAST_REQUEST is the point of a ProxyService.",
        default: "LEAST_REQUEST",
      }),
    ),
    protocol: Type.Optional(
      stringEnum(PROTOCOLS, { description: "Protocol of spec.port, balanced per request.", default: "HTTP" }),
    ),
    port: Type.Optional(
      portNumber("The Service port whose requests are balanced with spec.protocol and routed with spec.uri. Must be a port of the Service.", {
        default: 80,
      }),
    ),
    ports: Type.Optional(
      Type.Array(ExtraPortSchema, {
        description:
          "Protocols of the Service's other ports. Every port of the Service keeps working: a port listed neither here nor in spec.port is carried per its appProtocol or name prefix (http, http2, grpc), else as TCP.",
        maxItems: 64,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["port"],
      }),
    ),
    uri: Type.Optional(UriSchema),
    autoscaling: Type.Optional(AutoscalingSchema),
    resources: Type.Optional(ResourcesSchema),
    localityLoadBalancing: Type.Optional(
      Type.Boolean({
        description:
          "Whether Istio's locality load balancing applies towards the target. Off by default: with it on, least-request balances only inside each zone and, in some Istio releases, close to random (istio/istio#47804).",
        default: false,
      }),
    ),
    warmupDuration: Type.Optional(
      Type.String({
        description:
          "Slow start for new target pods (DestinationRule warmupDurationSecs), e.g. '30s': new replicas receive a growing share of requests over this time. Only with LEAST_REQUEST or ROUND_ROBIN. Unset: no warm-up.",
        pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
        maxLength: 32,
      }),
    ),
    callerTls: Type.Optional(CallerTlsSchema),
    leastRequest: Type.Optional(LeastRequestSchema),
    outlierDetection: Type.Optional(OutlierDetectionSchema),
  },
  {
    description: "What a ProxyService proxies, and how.",
    ...cel([
      Rules.targetDiffers,
      Rules.portsExcludeMainPort,
      Rules.warmupNeedsWeightedBalancer,
      Rules.leastRequestNeedsLeastRequest,
    ]),
  },
);

const ConditionSchema = Type.Object(
  {
    type: Type.String({ description: "Type of the condition, e.g. Ready.", maxLength: 316 }),
    status: stringEnum(["True", "False", "Unknown"] as const, { description: "True, False or Unknown." }),
    reason: Type.String({ description: "CamelCase reason for the condition's last transition.", maxLength: 1024 }),
    message: Type.String({ description: "Human-readable message naming the objects involved.", maxLength: 32768 }),
    lastTransitionTime: Type.String({ description: "When the status last changed.", format: "date-time" }),
    observedGeneration: Type.Optional(
      Type.Integer({ description: "The .metadata.generation the condition was set for.", format: "int64", minimum: 0 }),
    ),
  },
  { description: "A Kubernetes-style status condition." },
);

const TakeoverStatusSchema = Type.Object(
  {
    service: Type.String({ description: "The Service that now reaches the proxies (spec.serviceName)." }),
    mode: stringEnum(["Modified", "Created"] as const, {
      description: "Modified: the user's Service was changed in place and is restored on deletion. Created: the operator created it.",
    }),
    state: Type.Optional(
      stringEnum(["TakenOver", "FellBack"] as const, {
        description:
          "What the Service selects now. TakenOver: the proxy pods. FellBack: the application's pods again, because no proxy pod serves; it is taken over again once one has been Ready for a while.",
      }),
    ),
  },
  { description: "What was taken over." },
);

export const ProxyServiceStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ description: "The .metadata.generation last reconciled.", format: "int64", minimum: 0 })),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, {
        description: "Kubernetes-style conditions; Ready is the summary.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      }),
    ),
    readyReplicas: Type.Optional(Type.Integer({ description: "Proxy pods that are Ready.", format: "int32", minimum: 0 })),
    target: Type.Optional(Type.String({ description: "The resolved target Service (spec.target or its default)." })),
    targetCreated: Type.Optional(Type.Boolean({ description: "Whether the operator created the target Service (and deletes it with the ProxyService)." })),
    takeover: Type.Optional(TakeoverStatusSchema),
  },
  { description: "What the operator observed and did." },
);

/** The root rule: metadata.name becomes a label value (app.kubernetes.io/instance), which is at most 63 characters. */
export const rootValidations: CelRule[] = [
  Rules.nameFitsLabel,
];

export type ProxyServiceSpecInput = Static<typeof ProxyServiceSpecSchema>;
export type ProxyServiceStatusShape = Static<typeof ProxyServiceStatusSchema>;
export type LoadBalancer = (typeof LOAD_BALANCERS)[number];
export type Protocol = (typeof PROTOCOLS)[number];
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];
export type CallerTlsMode = (typeof CALLER_TLS_MODES)[number];
