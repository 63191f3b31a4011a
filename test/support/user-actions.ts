import fc from "fast-check";
import type { V1ServicePort } from "@kubernetes/client-node";
import type { ProxyService } from "../../src/api/types.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { DesiredState } from "../../src/render/desired.js";

// What users, GitOps tools, Kubernetes and crashes do to a ProxyService and the Service it fronts: one generator
// of action sequences, run against the fast in-memory cluster (test/controller/restore-model.test.ts) and
// against the real API server with the real operator (test/integration/operator/restore-model.test.ts).

/** The application as the user made it: sn0 selects it; two ports, one with a named targetPort. */
export const APP_SELECTOR = { app: "s0" } as const;
/** The user's other way to select the same pods (they carry both labels): a selector edit the model can tell apart. */
export const APP_SELECTOR_NARROW = { app: "s0", track: "stable" } as const;
/** The labels of the application's pods. */
export const APP_POD_LABELS = { app: "s0", track: "stable" } as const;
export const INITIAL_PORTS: readonly V1ServicePort[] = [
  { name: "http", port: 80, protocol: "TCP", targetPort: "http" },
  { name: "metrics", port: 9090, protocol: "TCP", targetPort: 9090 },
];
/** A target Service the user can make, for `spec.target: app-pods`. */
export const USER_TARGET = "app-pods";

export type SpecEdit =
  | { readonly field: "port"; readonly value: number }
  | { readonly field: "ports"; readonly value: readonly { port: number; protocol: "HTTP" | "TCP" }[] }
  | { readonly field: "target"; readonly value: string | undefined }
  | { readonly field: "callerTls"; readonly value: "DISABLE" | "ISTIO_MUTUAL" }
  | { readonly field: "autoscaling"; readonly value: { minReplicas: number; maxReplicas: number } }
  | { readonly field: "resources"; readonly value: NonNullable<ProxyService["spec"]["resources"]> }
  | { readonly field: "uri"; readonly value: { matchUriPrefix?: string; rewriteUri?: string } | undefined }
  | { readonly field: "loadBalancer"; readonly value: "LEAST_REQUEST" | "ROUND_ROBIN" | "RANDOM" };

export type PortEdit =
  | { readonly kind: "add" }
  | { readonly kind: "remove"; readonly port: number }
  | { readonly kind: "rename"; readonly port: number; readonly name: string }
  /** Always a named port: a number equal to the port itself cannot be told apart from the takeover's own. */
  | { readonly kind: "targetPort"; readonly port: number; readonly targetPort: string };

export type UserAction =
  | { readonly kind: "createProxyService"; readonly edits: readonly SpecEdit[] }
  | { readonly kind: "editSpec"; readonly edit: SpecEdit }
  | { readonly kind: "deleteProxyService" }
  /** A user or GitOps tool that owns only the selector puts one back: the original, or the narrower one. */
  | { readonly kind: "revertSelector"; readonly narrow: boolean }
  | { readonly kind: "revertSelectorAndPorts" }
  | { readonly kind: "editPorts"; readonly edit: PortEdit }
  | { readonly kind: "scaleApp"; readonly replicas: 0 | 2 }
  | { readonly kind: "deleteService" }
  | { readonly kind: "recreateService" }
  | { readonly kind: "createUserTarget" }
  | { readonly kind: "deleteTarget" }
  /** The operator process dies after `afterWrites` more writes, and starts again (its memory is gone). */
  | { readonly kind: "killOperator"; readonly afterWrites: number }
  /** Wait for everything to converge: informers, controllers, the operator. */
  | { readonly kind: "settle" }
  /** Time passes (revert windows end). */
  | { readonly kind: "tick"; readonly minutes: number };

const specEdit: fc.Arbitrary<SpecEdit> = fc.oneof(
  fc.record({ field: fc.constant("port" as const), value: fc.constantFrom(80, 9090, 8443) }),
  fc.record({
    field: fc.constant("ports" as const),
    value: fc.constantFrom([], [{ port: 9090, protocol: "TCP" as const }], [{ port: 9090, protocol: "HTTP" as const }]),
  }),
  fc.record({ field: fc.constant("target" as const), value: fc.constantFrom(undefined, USER_TARGET) }),
  fc.record({ field: fc.constant("callerTls" as const), value: fc.constantFrom("DISABLE" as const, "ISTIO_MUTUAL" as const) }),
  fc.record({
    field: fc.constant("autoscaling" as const),
    value: fc.constantFrom({ minReplicas: 1, maxReplicas: 1 }, { minReplicas: 1, maxReplicas: 3 }, { minReplicas: 2, maxReplicas: 4 }),
  }),
  fc.record({
    field: fc.constant("resources" as const),
    value: fc.constantFrom(
      { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } },
      { requests: { cpu: "0.5", memory: "1024Mi" }, limits: { cpu: "1000m", memory: "1.5Gi" } },
    ),
  }),
  fc.record({ field: fc.constant("uri" as const), value: fc.constantFrom(undefined, { matchUriPrefix: "/api", rewriteUri: "/" }) }),
  fc.record({ field: fc.constant("loadBalancer" as const), value: fc.constantFrom("LEAST_REQUEST" as const, "ROUND_ROBIN" as const, "RANDOM" as const) }),
);

const portEdit: fc.Arbitrary<PortEdit> = fc.oneof(
  fc.constant({ kind: "add" as const }),
  fc.record({ kind: fc.constant("remove" as const), port: fc.constantFrom(80, 9090, 8443) }),
  fc.record({ kind: fc.constant("rename" as const), port: fc.constantFrom(80, 9090, 8443), name: fc.constantFrom("web", "http-main", "prom") }),
  fc.record({ kind: fc.constant("targetPort" as const), port: fc.constantFrom(80, 9090, 8443), targetPort: fc.constantFrom("web", "http", "https") }),
);

/** One action; `settle` is frequent so that sequences also reach the converged states between actions. */
export const userAction: fc.Arbitrary<UserAction> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("createProxyService" as const), edits: fc.array(specEdit, { maxLength: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("editSpec" as const), edit: specEdit }) },
  { weight: 1, arbitrary: fc.constant({ kind: "deleteProxyService" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("revertSelector" as const), narrow: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "revertSelectorAndPorts" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("editPorts" as const), edit: portEdit }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("scaleApp" as const), replicas: fc.constantFrom(0 as const, 2 as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "deleteService" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "recreateService" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "createUserTarget" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "deleteTarget" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("killOperator" as const), afterWrites: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: "settle" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tick" as const), minutes: fc.constantFrom(1, 11) }) },
);

/**
 * What happens to the proxies (issue 16): every pod failing its readiness probe, the pod deleted with no room
 * for a replacement yet, the last pod terminating (eviction, drain, rollout) while it drains, the pods Ready
 * again, the proxy Deployment deleted by hand.
 */
export type ProxyFault = { readonly kind: "proxyFault"; readonly fault: "unready" | "deleted" | "terminating" | "ready" | "deploymentDeleted" };

export const proxyFault: fc.Arbitrary<ProxyFault> = fc.record({
  kind: fc.constant("proxyFault" as const),
  fault: fc.constantFrom("unready" as const, "deleted" as const, "terminating" as const, "ready" as const, "deploymentDeleted" as const),
});

/** A whole sequence: it always starts by creating the ProxyService and ends with its deletion (checked by I2). */
export const userActions = (maxLength: number): fc.Arbitrary<UserAction[]> =>
  fc
    .tuple(fc.array(specEdit, { maxLength: 2 }), fc.array(userAction, { maxLength }))
    .map(([edits, actions]) => [{ kind: "createProxyService", edits }, { kind: "settle" }, ...actions, { kind: "deleteProxyService" }, { kind: "settle" }]);

/** A whole sequence of user actions and proxy faults, framed as userActions' are. */
export const userActionsAndFaults = (maxLength: number): fc.Arbitrary<(UserAction | ProxyFault)[]> =>
  fc
    .tuple(fc.array(specEdit, { maxLength: 2 }), fc.array(fc.oneof({ weight: 5, arbitrary: userAction }, { weight: 2, arbitrary: proxyFault }), { maxLength }))
    .map(([edits, actions]) => [{ kind: "createProxyService", edits }, { kind: "settle" }, ...actions, { kind: "deleteProxyService" }, { kind: "settle" }]);

/** The spec after `edits`, starting from the published example. */
export function specOf(edits: readonly SpecEdit[], base: ProxyService["spec"] = { serviceName: "sn0", loadBalancer: "LEAST_REQUEST", port: 80 }): ProxyService["spec"] {
  const spec: ProxyService["spec"] = structuredClone(base);
  for (const e of edits) {
    if (e.value === undefined) delete (spec as Record<string, unknown>)[e.field];
    else (spec as Record<string, unknown>)[e.field] = e.field === "callerTls" ? { mode: e.value } : structuredClone(e.value);
  }
  return spec;
}

/** The ports after a user's edit (by port number; an edit of a port that is not there changes nothing). */
export function editPorts(ports: readonly V1ServicePort[], edit: PortEdit): V1ServicePort[] {
  const next = ports.map((p) => ({ ...p }));
  switch (edit.kind) {
    case "add":
      return next.some((p) => p.port === 8443) ? next : [...next, { name: "https", port: 8443, protocol: "TCP", targetPort: "https" }];
    case "remove":
      return next.length > 1 ? next.filter((p) => p.port !== edit.port) : next;
    case "rename":
      return next.some((p) => p.name === edit.name) ? next : next.map((p) => (p.port === edit.port ? { ...p, name: edit.name } : p));
    case "targetPort":
      return next.map((p) => (p.port === edit.port ? { ...p, targetPort: edit.targetPort } : p));
  }
}

/** A sequence as one line per action, for a failure message. */
export const describeActions = (actions: readonly (UserAction | ProxyFault)[]): string => actions.map((a) => JSON.stringify(a)).join("\n");

/**
 * Whether the CRD's CEL rules accept `spec` (the rules an edit of these fields can break), so that both levels
 * skip the same edits: the real API server refuses them, the in-memory one would not.
 */
export function isAcceptedByCrd(spec: ProxyService["spec"]): boolean {
  const port = spec.port ?? 80;
  return !(spec.ports ?? []).some((p) => p.port === port);
}

/**
 * The objects a desired state asks the ProxyService to control (every field that is an object, spec.serviceName
 * only when the operator creates it), found by shape so that a new kind of owned object is covered without
 * editing the tests: the reference for I3.
 */
export function desiredOwnedObjects(state: DesiredState): KubeObject[] {
  return Object.entries(state)
    .filter(([field]) => field !== "takenOverService" || state.takeover.mode === "Created")
    .map(([, v]) => v as Partial<KubeObject> | undefined)
    .filter((v): v is KubeObject => typeof v === "object" && v !== null && "kind" in v && "metadata" in v);
}
