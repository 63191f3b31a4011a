import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { Annotations } from "./labels.js";
import { compareCodeUnits } from "./order.js";

export { Annotations, Labels, proxyPodSelector, proxySelectorValue } from "./labels.js";

/**
 * What the operator needs to restore a Service it changed in place, exactly: kept as JSON in the
 * annotation Annotations.takeover on that Service itself, so it survives an operator restart or
 * uninstall, and `proxy-service restore` (or a human, see the README) can undo the takeover
 * without the ProxyService. The ClusterIP is never changed, so it is not recorded.
 */
export interface TakeoverRecord {
  /** Format version, so that a later operator can read records an older one wrote. */
  readonly version: 1;
  /** The ProxyService (same namespace) that took the Service over: the claim. */
  readonly proxyService: string;
  /** The Service's selector before the takeover. */
  readonly selector: Readonly<Record<string, string>>;
  /** The Service's ports before the takeover, in their order. */
  readonly ports: readonly V1ServicePort[];
}

/** Encodes a record with a stable key order, so re-encoding an unchanged record gives the same text (no spurious writes). */
export function encodeTakeoverRecord(record: TakeoverRecord): string {
  return JSON.stringify({
    version: record.version,
    proxyService: record.proxyService,
    selector: sortedRecord(record.selector),
    ports: record.ports.map(normalizePort),
  });
}

/**
 * Decodes a record. Throws an Error naming the annotation when the text is not a record,
 * since restoring from a guess could break the Service.
 */
export function decodeTakeoverRecord(text: string): TakeoverRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new Error(`annotation ${Annotations.takeover}: not JSON`, { cause });
  }
  if (!isRecordShape(value)) {
    throw new Error(`annotation ${Annotations.takeover}: not a takeover record (version 1 with proxyService, selector, ports)`);
  }
  return { version: 1, proxyService: value.proxyService, selector: value.selector, ports: value.ports.map(normalizePort) };
}

/**
 * The takeover record on a Service, decoded: none (no annotation), the record, or why the annotation is not
 * one. Every consumer (observe for reconcile, cleanup's live read, the owner mapping, `proxy-service restore`)
 * takes this value from observeRecord, so a malformed record is one case each of them handles, never a throw.
 */
export interface DecodedRecord {
  readonly record?: TakeoverRecord;
  readonly recordError?: string;
}

/** The record on `service`, decoded once: a malformed one is kept as its error (naming the annotation), not thrown. Pure. */
export function observeRecord(service: V1Service | undefined): DecodedRecord {
  const text = service?.metadata?.annotations?.[Annotations.takeover];
  if (text === undefined) return {};
  try {
    return { record: decodeTakeoverRecord(text) };
  } catch (err) {
    return { recordError: err instanceof Error ? err.message : String(err) };
  }
}

/** Whether `selector` is exactly `labels` (one label more or less is somebody else's selector). Pure. */
export function selectsExactly(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(selector ?? {});
  return keys.length === Object.keys(labels).length && keys.every((k) => selector?.[k] === labels[k]);
}

/**
 * What a taken-over Service has to go back to: the record, updated with what its owner changed on the live
 * Service since. One rule for the record the operator keeps and for the restore, so that an edit made just
 * before the ProxyService is deleted is not lost.
 * - Selector: the record's while the live Service still selects the proxies (`proxyLabels`); once someone
 *   put a selector back (a user, or a GitOps tool that owns only the selector), that one.
 * - Ports: the live ports (with any port added, removed or renamed since), each with its recorded targetPort
 *   while the live one is still the one the takeover set (the port number itself): then nobody changed it
 *   and the live value is ours. (A user who sets targetPort to the port number during a takeover cannot be
 *   told apart from the takeover; the record wins then.)
 * Pure.
 */
export function originalOf(
  record: TakeoverRecord,
  live: V1Service,
  proxyLabels: Readonly<Record<string, string>>,
): { selector: Record<string, string>; ports: V1ServicePort[] } {
  const ports = (live.spec?.ports ?? []).map(normalizePort).map((p) => {
    const recorded = record.ports.find((r) => r.port === p.port && r.protocol === p.protocol);
    return recorded !== undefined && String(p.targetPort) === String(p.port) ? { ...p, targetPort: recorded.targetPort } : p;
  });
  const selector = selectsExactly(live.spec?.selector, proxyLabels) ? record.selector : (live.spec?.selector ?? {});
  return { selector: { ...selector }, ports };
}

/**
 * The fields of a port that matter for restoring it, in a fixed key order, with the API
 * server's defaults made explicit (protocol TCP, targetPort = port) so that two records of the
 * same Service compare equal however the Service was written.
 */
export function normalizePort(port: V1ServicePort): V1ServicePort {
  const out: V1ServicePort = port.name === undefined ? { port: port.port } : { name: port.name, port: port.port };
  out.protocol = port.protocol ?? "TCP";
  if (port.appProtocol !== undefined) out.appProtocol = port.appProtocol;
  out.targetPort = port.targetPort ?? port.port;
  if (port.nodePort !== undefined) out.nodePort = port.nodePort;
  return out;
}

function sortedRecord(input: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(input).sort(([a], [b]) => compareCodeUnits(a, b)));
}

interface RecordShape {
  version: 1;
  proxyService: string;
  selector: Record<string, string>;
  ports: V1ServicePort[];
}

function isRecordShape(value: unknown): value is RecordShape {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    typeof v.proxyService === "string" &&
    typeof v.selector === "object" &&
    v.selector !== null &&
    Object.values(v.selector).every((s) => typeof s === "string") &&
    Array.isArray(v.ports) &&
    v.ports.every((p) => typeof p === "object" && p !== null && typeof (p as { port?: unknown }).port === "number")
  );
}
