/** What RBAC sees in a request: the verb and the resource, as the API server's RequestInfo resolver derives them. */
export interface RequestInfo {
  readonly verb: string;
  /** "" for the core group. */
  readonly group: string;
  /** With the subresource when there is one: `proxyservices/status`. */
  readonly resource: string;
}

const VERBS: Record<string, string> = { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" };

/**
 * The RBAC verb and resource of a request path, e.g. `GET /apis/apps/v1/namespaces/x/deployments` is
 * `list deployments.apps`. Pure. Used to count what the operator really does, so a test can check that
 * the ClusterRole grants nothing more.
 */
export function requestInfo(method: string, path: string, isWatch = false): RequestInfo | undefined {
  const parts = path.split("?")[0]!.split("/").filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === "api") {
    group = "";
    rest = parts.slice(2);
  } else if (parts[0] === "apis") {
    group = parts[1] ?? "";
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest[0] === "namespaces" && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, subresource] = rest;
  if (resource === undefined) return undefined;
  const verb = method === "GET" ? (isWatch ? "watch" : name === undefined ? "list" : "get") : (VERBS[method] ?? method.toLowerCase());
  return { verb, group, resource: subresource === undefined ? resource : `${resource}/${subresource}` };
}
