import { createHash } from "node:crypto";
import { OPERATOR_NAME } from "./names.js";

export const Labels = {
  /** Every owned object: who manages it. */
  managedBy: "app.kubernetes.io/managed-by",
  /** Every owned object: the ProxyService it belongs to (its name). */
  instance: "app.kubernetes.io/instance",
  /** Every owned object: what it is part of. */
  name: "app.kubernetes.io/name",
  /**
   * The proxy pods' selector label (Gateway, Deployment, PDB, taken-over Service). Its value is
   * unique across namespaces (see proxySelectorValue), because an Istio Gateway's selector
   * matches pods in every namespace.
   */
  proxy: "proxyservice.msvcbench.io/proxy",
} as const;

export const Annotations = {
  /** On a Service the operator took over: the takeover record (JSON), see takeover.ts. */
  takeover: "proxyservice.msvcbench.io/takeover",
  /**
   * On a Service the operator took over and then pointed back at the application's pods because no proxy
   * served (the fallback, controller/availability.ts): tells that state apart from a revert by another tool,
   * and survives an operator restart. Removed when the Service is taken over again or restored.
   */
  fellBack: "proxyservice.msvcbench.io/fell-back",
  /**
   * On every object the operator owns: a hash of the object as rendered. A field the render no longer sets is
   * still on the live object (a subset check cannot see it), but the hash changes, so the object is applied
   * again and server-side apply removes the field (an operator upgrade that drops a field reaches the cluster).
   */
  renderHash: "proxyservice.msvcbench.io/render-hash",
} as const;

/** The value of Labels.name on every owned object. */
export const APP_NAME = "proxy-service";

/** The labels every object a ProxyService owns carries (its proxy pods too). */
export function ownedLabelsOf(proxyService: string): Record<string, string> {
  return { [Labels.name]: APP_NAME, [Labels.instance]: proxyService, [Labels.managedBy]: OPERATOR_NAME };
}

/**
 * The label selecting the proxy pods of ProxyService `name` in `namespace`: the Deployment, the PDB, the Gateway and
 * the taken-over Service select with it, and restore and the policy checks recognise them by it. The one place it is built.
 */
export function proxyPodSelector(namespace: string, name: string): Record<string, string> {
  return { [Labels.proxy]: proxySelectorValue(namespace, name) };
}

const MAX_LABEL_VALUE = 63;

/**
 * The value of the proxy selector label for the ProxyService `name` in `namespace`:
 * `<namespace>.<name>` when it fits in a label value (readable), else a prefix of it and a hash
 * of the whole. Deterministic, so `proxy-service render` without a cluster prints what the
 * operator applies; `.` cannot appear in a namespace, so `<namespace>.<name>` is unambiguous.
 */
export function proxySelectorValue(namespace: string, name: string): string {
  const readable = `${namespace}.${name}`;
  if (readable.length <= MAX_LABEL_VALUE) return readable;
  const hash = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 16);
  // A label value must start and end with an alphanumeric character.
  const prefix = readable.slice(0, MAX_LABEL_VALUE - hash.length - 1).replace(/[^a-z0-9]+$/, "");
  return `${prefix}-${hash}`;
}
