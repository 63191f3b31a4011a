import type {
  V1Deployment,
  V1PodDisruptionBudget,
  V1Service,
  V1ServiceAccount,
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { Reasons } from "../api/conditions.js";
import type { TakeoverRecord } from "../api/takeover.js";
import type { DefaultedProxyService } from "../api/types.js";
import { resolveApplication, type ObservedServices } from "./application.js";
import { renderCallerDestinationRule, renderDestinationRule } from "./destination-rule.js";
import { renderDeployment } from "./deployment.js";
import { renderEnvoyFilter } from "./envoy-filter.js";
import { renderGateway } from "./gateway.js";
import { renderHorizontalPodAutoscaler } from "./horizontal-pod-autoscaler.js";
import type { DestinationRule, EnvoyFilter, Gateway, VirtualService } from "./istio-types.js";
import { proxySelector } from "./metadata.js";
import { renderPodDisruptionBudget } from "./pod-disruption-budget.js";
import { planPorts, type PortPlan } from "./ports.js";
import { renderServiceAccount } from "./service-account.js";
import { renderTakenOverService, renderTargetService } from "./services.js";
import { renderVirtualService } from "./virtual-service.js";
import { withRenderHash } from "./render-hash.js";

export type { PortPlan } from "./ports.js";

/** Everything the operator applies for one ProxyService, as separate fields: the operator decides what to apply when. */
export interface DesiredState {
  readonly kind: "desired";
  readonly serviceAccount: V1ServiceAccount;
  readonly deployment: V1Deployment;
  readonly horizontalPodAutoscaler: V2HorizontalPodAutoscaler;
  /** Undefined when at most one proxy can run (autoscaling.maxReplicas 1). */
  readonly podDisruptionBudget: V1PodDisruptionBudget | undefined;
  readonly gateway: Gateway;
  readonly virtualService: VirtualService;
  readonly destinationRule: DestinationRule;
  /** spec.leastRequest.choices on the proxies' cluster for the target; undefined at the default (2). */
  readonly envoyFilter: EnvoyFilter | undefined;
  /** For callers' sidecars to originate mTLS to the proxies; undefined unless callerTls.mode is ISTIO_MUTUAL. */
  readonly callerDestinationRule: DestinationRule | undefined;
  /** The target to create (a copy of the application's selector and ports), or undefined when the user made it. */
  readonly targetService: V1Service | undefined;
  /** spec.serviceName as it must look after the takeover (see renderTakenOverService). Apply it only once a proxy is Ready. */
  readonly takenOverService: V1Service;
  /** Modified: the user's Service, restored from `record` on deletion. Created: the operator makes (and owns) it. */
  readonly takeover: { readonly mode: "Modified"; readonly record: TakeoverRecord } | { readonly mode: "Created" };
  /** The label selecting the proxy pods (to read their readiness). */
  readonly proxySelector: Readonly<Record<string, string>>;
  /** How each port of spec.serviceName is carried. */
  readonly ports: readonly PortPlan[];
}

/** Render cannot proceed yet, and nothing is wrong with the spec: report the reason and wait for a Service event. */
export interface Waiting {
  readonly kind: "waiting";
  readonly reason: typeof Reasons.TargetServiceMissing | typeof Reasons.ServiceClaimedByAnother;
  /** A sentence naming the objects involved and what would unblock it. */
  readonly message: string;
}

export type RenderOutcome = DesiredState | Waiting;

/**
 * Everything the operator applies for one ProxyService, given the Services as they are now.
 * The same function backs `proxy-service render`, so the two cannot drift.
 *
 * Pure and deterministic: no I/O, clock, randomness or environment; same input, same output.
 * - Returns Waiting (not an error: it converges by itself when a Service appears or is freed)
 *   when neither spec.serviceName nor spec.target exists (TargetServiceMissing), or when another
 *   ProxyService has taken spec.serviceName over (ServiceClaimedByAnother).
 * - Throws SpecError when the spec does not fit the Services (reason SpecInvalid, e.g. spec.port
 *   is not a port of the Service) or when the Service cannot be carried without breaking a
 *   caller (reason TakeoverRefused, e.g. a UDP port, no selector, headless). Nothing should be
 *   changed then.
 * - Throws Error when the takeover annotation on spec.serviceName is malformed.
 * Where the application's selector and ports come from is decided by resolveApplication.
 */
export function desired(proxyService: DefaultedProxyService, observed: ObservedServices): RenderOutcome {
  const { spec, metadata } = proxyService;
  if (observed.claimedBy !== undefined) {
    return {
      kind: "waiting",
      reason: Reasons.ServiceClaimedByAnother,
      message: `Service "${spec.serviceName}" in namespace "${metadata.namespace}" is claimed by ProxyService "${observed.claimedBy}"; delete one of the two ProxyServices`,
    };
  }
  const app = resolveApplication(proxyService, observed);
  if (app === undefined) {
    return {
      kind: "waiting",
      reason: Reasons.TargetServiceMissing,
      message:
        observed.service === undefined
          ? `neither Service "${spec.serviceName}" nor Service "${spec.target}" exists in namespace "${metadata.namespace}"; create one of them, or set spec.target to the Service of the application's pods`
          : `Service "${spec.target}" does not exist in namespace "${metadata.namespace}", and Service "${spec.serviceName}" was created by this ProxyService, so the application's pods are unknown; create "${spec.target}" for them`,
    };
  }
  const ports = planPorts(proxyService, app);
  const takenOverService = renderTakenOverService(proxyService, app, ports);
  return {
    kind: "desired",
    serviceAccount: withRenderHash(renderServiceAccount(proxyService)),
    deployment: withRenderHash(renderDeployment(proxyService)),
    horizontalPodAutoscaler: withRenderHash(renderHorizontalPodAutoscaler(proxyService)),
    podDisruptionBudget: withRenderHash(renderPodDisruptionBudget(proxyService)),
    gateway: withRenderHash(renderGateway(proxyService, ports)),
    virtualService: withRenderHash(renderVirtualService(proxyService, ports)),
    destinationRule: withRenderHash(renderDestinationRule(proxyService)),
    callerDestinationRule: withRenderHash(renderCallerDestinationRule(proxyService)),
    envoyFilter: withRenderHash(renderEnvoyFilter(proxyService, ports)),
    targetService: withRenderHash(renderTargetService(proxyService, app)),
    // The user's Service is applied in part (only the fields taken over): no hash on it, only on one we create.
    takenOverService: app.takeover.mode === "Created" ? withRenderHash(takenOverService) : takenOverService,
    takeover: app.takeover,
    proxySelector: proxySelector(proxyService),
    ports,
  };
}
