import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { Reasons } from "../api/conditions.js";
import { SpecError } from "../api/errors.js";
import { normalizePort, originalOf, type TakeoverRecord } from "../api/takeover.js";
import type { DefaultedProxyService } from "../api/types.js";
import { isOwnedBy } from "../api/ownership.js";
import { isSelectingProxies, proxySelector } from "./metadata.js";

/** The Services as they are now in the ProxyService's namespace (from the operator's cache, or files for the CLI). */
export interface ObservedServices {
  /** The spec.serviceName Service, if it exists. */
  readonly service?: V1Service;
  /** The spec.target Service, if it exists. */
  readonly target?: V1Service;
  /** The other ProxyService that holds the claim on spec.serviceName (claimedByAnother in claim.ts), if any. */
  readonly claimedBy?: string;
  /** The takeover record on spec.serviceName, decoded once by the caller (observeRecord in api/takeover.ts). */
  readonly record?: TakeoverRecord;
  /** Why the record annotation on spec.serviceName could not be decoded, when it could not. */
  readonly recordError?: string;
}

/** Where the application's pods and ports are, and what spec.serviceName has to keep. */
export interface Application {
  /** The selector of the application's pods (for a target the operator creates). */
  readonly selector: Readonly<Record<string, string>>;
  /** The application's ports: the target's ports, or the ports spec.serviceName had before the takeover. */
  readonly ports: readonly V1ServicePort[];
  /** The ports spec.serviceName must keep after the takeover (what callers use). */
  readonly callerPorts: readonly V1ServicePort[];
  /** Whether the target is the user's (use as is) or the operator's to create or keep up to date. */
  readonly isUserTarget: boolean;
  /**
   * How spec.serviceName is taken over: Modified (the user's Service, changed in place; record
   * holds what to restore) or Created (it did not exist, or the operator created it earlier).
   */
  readonly takeover: { readonly mode: "Modified"; readonly record: TakeoverRecord } | { readonly mode: "Created" };
}

/**
 * Decides where the application's selector and ports come from, in this order:
 * 1. a target Service the user made (not owned by this ProxyService): used as it is;
 * 2. else the original of spec.serviceName: the takeover record on it (while it is taken over),
 *    or the live Service (before the takeover, or after someone put their own selector back);
 * 3. else a target the operator created earlier (spec.serviceName was deleted since).
 * Returns undefined when there is nothing to learn from (the caller reports TargetServiceMissing).
 * Throws SpecError (reason TakeoverRefused) for a Service the proxies cannot carry. Pure.
 */
export function resolveApplication(proxyService: DefaultedProxyService, observed: ObservedServices): Application | undefined {
  if (observed.recordError !== undefined) {
    throw refuse(
      `the takeover record on Service "${proxyService.spec.serviceName}" cannot be read (${observed.recordError}), so it could not be restored exactly`,
      "put the Service's original selector and ports back by hand and remove the annotation (docs/operator.md)",
    );
  }
  const userTarget = observed.target !== undefined && !isOwnedBy(observed.target, proxyService) ? observed.target : undefined;
  const isOurCreation = observed.service !== undefined && isCreatedByUs(proxyService, observed.service, observed.record);
  const live = observed.service !== undefined && !isOurCreation ? observed.service : undefined;
  const original = live === undefined ? undefined : originalServiceOf(proxyService, live, observed.record);

  const source = userTarget ?? (original === undefined ? observed.target : undefined);
  const app =
    source !== undefined
      ? { selector: source.spec?.selector ?? {}, ports: (source.spec?.ports ?? []).map(normalizePort) }
      : original;
  if (app === undefined) return undefined;
  return {
    selector: app.selector,
    ports: app.ports,
    callerPorts: original?.ports ?? app.ports,
    isUserTarget: userTarget !== undefined,
    takeover:
      original === undefined
        ? { mode: "Created" }
        : {
            mode: "Modified",
            record: { version: 1, proxyService: proxyService.metadata.name, selector: original.selector, ports: original.ports },
          },
  };
}

/** Whether spec.serviceName is a Service this operator created (owned, or already selecting our proxies without a record). */
function isCreatedByUs(proxyService: DefaultedProxyService, service: V1Service, record: TakeoverRecord | undefined): boolean {
  if (record !== undefined) return false;
  return isOwnedBy(service, proxyService) || isSelectingProxies(proxyService, service);
}

/**
 * The selector and ports of spec.serviceName before the takeover: the live Service before it (or once someone
 * put their own selector back without a record to merge), else the record merged with the live Service
 * (originalOf in api/takeover.ts, the rule the restore uses too).
 */
function originalServiceOf(
  proxyService: DefaultedProxyService,
  live: V1Service,
  record: TakeoverRecord | undefined,
): { selector: Record<string, string>; ports: V1ServicePort[] } {
  checkCarriable(proxyService, live);
  const original =
    record === undefined
      ? { selector: { ...(live.spec?.selector ?? {}) }, ports: (live.spec?.ports ?? []).map(normalizePort) }
      : originalOf(record, live, proxySelector(proxyService));
  if (Object.keys(original.selector).length === 0) {
    throw refuse(
      `Service "${proxyService.spec.serviceName}" has no selector, so its pods cannot be found and it could not be restored exactly`,
      "give it a selector, or front a Service that has one",
    );
  }
  return original;
}

function checkCarriable(proxyService: DefaultedProxyService, live: V1Service): void {
  const name = proxyService.spec.serviceName;
  if (live.spec?.type === "ExternalName") {
    throw refuse(`Service "${name}" is of type ExternalName and has no pods to proxy`, "front a Service with a selector instead");
  }
  if (live.spec?.clusterIP === "None") {
    throw refuse(
      `Service "${name}" is headless (clusterIP: None): callers resolve pod addresses directly, so proxies cannot be put in front of it`,
      "front a Service with a cluster IP instead",
    );
  }
}

function refuse(problem: string, fix: string): SpecError {
  return new SpecError("serviceName", problem, fix, Reasons.TakeoverRefused);
}
