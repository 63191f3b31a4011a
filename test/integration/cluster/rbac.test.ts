import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { adminKubeConfig, useTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import { statusCode } from "./local-cluster.js";

// Acceptance 3 of issue 2: service-account tokens are issued (TokenRequest) and authenticated,
// and RBAC authorizes them.

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
const ns = useTestNamespace("lc-rbac", kc);

/** A KubeConfig for the same cluster that authenticates with a bearer token only. */
function tokenKubeConfig(token: string): k8s.KubeConfig {
  const cluster = kc.getCurrentCluster()!;
  const tokenKc = new k8s.KubeConfig();
  tokenKc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "sa", token }],
    contexts: [{ name: "sa", cluster: cluster.name, user: "sa" }],
    currentContext: "sa",
  });
  return tokenKc;
}

describe("a ServiceAccount's token and RBAC", () => {
  it("gets 403 without a RoleBinding and 200 after one", async () => {
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: "reader" } } });
    const request = await core.createNamespacedServiceAccountToken({
      name: "reader",
      namespace: ns.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = request.status!.token;
    expect(token.split(".")).toHaveLength(3);
    const asReader = tokenKubeConfig(token).makeApiClient(k8s.CoreV1Api);

    const denied = await asReader.listNamespacedPod({ namespace: ns.name }).then(
      () => 200,
      (err: unknown) => statusCode(err),
    );
    expect(denied).toBe(403);

    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: {
        metadata: { name: "pod-reader" },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: "reader-reads-pods" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns.name }],
      },
    });
    // The RBAC authorizer reads bindings from an informer: allow it to observe the new one.
    const list = await waitFor(() => asReader.listNamespacedPod({ namespace: ns.name }), {
      timeout: 30_000,
      description: "the reader allowed to list pods",
    });
    expect(list.items).toEqual([]);
    // Only what the Role grants: listing Secrets is still forbidden.
    const secrets = await asReader.listNamespacedSecret({ namespace: ns.name }).then(
      () => 200,
      (err: unknown) => statusCode(err),
    );
    expect(secrets).toBe(403);
  });
});
