import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { DefaultedProxyService } from "../api/types.js";
import { ownedMetadata } from "./metadata.js";

/**
 * The proxy pods' own ServiceAccount: their mesh identity (SPIFFE ID) is theirs alone, so
 * AuthorizationPolicies can name the proxies of one ProxyService. Pure.
 */
export function renderServiceAccount(proxyService: DefaultedProxyService): V1ServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: ownedMetadata(proxyService, proxyService.metadata.name),
  };
}
