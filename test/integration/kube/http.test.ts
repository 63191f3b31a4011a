import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { fromKubeconfigFiles } from "../../../src/kube/connection.js";
import { KubeApiError } from "../../../src/kube/errors.js";
import { KubeHttp } from "../../../src/kube/http.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { openWatch, type WatchEvent } from "../../../src/kube/watch.js";
import { waitFor } from "../../support/wait-for.js";
import { adminKubeconfigPath, useTestNamespace } from "../support/cluster.js";
import { admin, currentAdminKubeConfig } from "../operator/support.js";

// The operator's own HTTP client and kubeconfig loader against the real API server: TLS with the
// cluster's CA, a client certificate, a ServiceAccount token, and watches end to end.

const ns = useTestNamespace("kube-http");
const scratch = mkdtempSync(path.join(os.tmpdir(), "kube-http-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const configMaps = (namespace: string): string => `/api/v1/namespaces/${namespace}/configmaps`;

/** A kubeconfig for a ServiceAccount with no RoleBinding at all: authenticated, authorized for nothing. */
async function unboundServiceAccountKubeconfig(namespace: string): Promise<string> {
  await admin.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts`, { body: { metadata: { name: "nobody" } } });
  const { status } = await admin.request<{ status: { token: string } }>("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/nobody/token`, {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
  });
  return writeKubeconfig("nobody", { token: status.token }, namespace);
}

/** A kubeconfig file for the local cluster (its server and CA) with one user, which is its current context. */
function writeKubeconfig(name: string, user: Record<string, unknown>, namespace?: string): string {
  const cluster = currentAdminKubeConfig().getCurrentCluster()!;
  const file = path.join(scratch, `${name}.kubeconfig`);
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "local", cluster: { server: cluster.server, "certificate-authority-data": cluster.caData } }],
      users: [{ name, user }],
      contexts: [{ name, context: { cluster: "local", user: name, ...(namespace ? { namespace } : {}) } }],
      "current-context": name,
    }),
  );
  return file;
}

/** Runs `use` with a client of the kubeconfig file, closing its connections afterwards. */
async function withHttp(kubeconfig: string, use: (http: KubeHttp) => Promise<void>): Promise<void> {
  const http = new KubeHttp(fromKubeconfigFiles([kubeconfig]));
  try {
    await use(http);
  } finally {
    http.close();
  }
}

/** Who the API server says the client is (a SelfSubjectReview: any authenticated identity may ask). */
async function whoAmI(http: KubeHttp): Promise<string> {
  const review = await http.request<{ status: { userInfo: { username: string } } }>("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
  });
  return review.status.userInfo.username;
}

/**
 * A kubeconfig whose exec plugin hands out the admin's client certificate, valid for two seconds, and the
 * scheduler's from then on: a client certificate that rotates, as some credential plugins do.
 */
function rotatingCertificateKubeconfig(): string {
  const pki = path.join(path.dirname(adminKubeconfigPath), "pki");
  const credential = (identity: string, expires: string): string =>
    JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: {
        clientCertificateData: readFileSync(path.join(pki, `${identity}.crt`), "utf8"),
        clientKeyData: readFileSync(path.join(pki, `${identity}.key`), "utf8"),
        expirationTimestamp: expires,
      },
    });
  writeFileSync(path.join(scratch, "first.json"), credential("admin", new Date(Date.now() + 2_000).toISOString()));
  writeFileSync(path.join(scratch, "then.json"), credential("scheduler", "2999-01-01T00:00:00Z"));
  const plugin = path.join(scratch, "rotating-plugin.sh");
  writeFileSync(plugin, `#!/bin/sh
cd "$(dirname "$0")"
if [ -e used ]; then cat then.json; else touch used; cat first.json; fi
`);
  chmodSync(plugin, 0o755);
  return writeKubeconfig("rotating", { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" } });
}

describe("KubeHttp with a connection from src/kube/connection.ts", () => {
  it("reaches the API server with the admin kubeconfig's CA and client certificate", async () => {
    await withHttp(adminKubeconfigPath, async (http) => {
      const version = await http.request<{ gitVersion: string }>("GET", "/version");
      expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+/);
      // system:masters may list namespaces; the request is authenticated as the admin, not anonymous.
      const list = await http.request<{ items: KubeObject[] }>("GET", "/api/v1/namespaces");
      expect(list.items.map((n) => n.metadata.name)).toContain(ns.name);
    });
  });

  it("watches a collection: every change in order, then the end the server chose (timeoutSeconds)", async () => {
    await withHttp(adminKubeconfigPath, async (http) => {
      const list = await http.request<{ metadata: { resourceVersion: string } }>("GET", configMaps(ns.name));
      const seen: string[] = [];
      const watch = openWatch(http, configMaps(ns.name), { resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 3 }, (e: WatchEvent) => {
        if (e.object.metadata.name === "watched") seen.push(e.type);
      });
      await http.request("POST", configMaps(ns.name), { body: { metadata: { name: "watched" }, data: { a: "1" } } });
      await http.request("PATCH", `${configMaps(ns.name)}/watched`, { body: { data: { a: "2" } }, contentType: "application/merge-patch+json" });
      await http.request("DELETE", `${configMaps(ns.name)}/watched`);
      await waitFor(() => seen.length === 3, { description: "three events for ConfigMap watched", timeout: 10_000 });
      expect(seen).toEqual(["ADDED", "MODIFIED", "DELETED"]);
      expect(await watch.done).toBeNull();
    });
  });

  it("ends a watch at once, without an error, when aborted", async () => {
    await withHttp(adminKubeconfigPath, async (http) => {
      const list = await http.request<{ metadata: { resourceVersion: string } }>("GET", configMaps(ns.name));
      const watch = openWatch(http, configMaps(ns.name), { resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 300 }, () => undefined);
      const started = Date.now();
      watch.abort();
      expect(await watch.done).toBeNull();
      expect(Date.now() - started).toBeLessThan(1_000);
    });
  });

  it("authenticates a ServiceAccount token, and says 403 Forbidden for a request or watch RBAC denies", async () => {
    const kubeconfig = await unboundServiceAccountKubeconfig(ns.name);
    await withHttp(kubeconfig, async (http) => {
      // Any authenticated identity may read /version; an unknown token would get 401.
      await expect(http.request("GET", "/version")).resolves.toBeDefined();
      const denied = await http.request("GET", configMaps(ns.name)).catch((err: unknown) => err);
      expect(denied).toBeInstanceOf(KubeApiError);
      expect((denied as KubeApiError).status).toBe(403);
      expect((denied as KubeApiError).message).toContain(`GET ${configMaps(ns.name)}: 403 Forbidden`);
      const watch = openWatch(http, configMaps(ns.name), { resourceVersion: "0", timeoutSeconds: 5 }, () => undefined);
      const failed = await watch.done;
      expect(failed).toBeInstanceOf(KubeApiError);
      expect((failed as KubeApiError).status).toBe(403);
      expect(failed?.message).toContain(`WATCH ${configMaps(ns.name)}: 403 Forbidden`);
      expect(failed?.message).toContain('system:serviceaccount:');
    });
  });

  it("presents the new client certificate once an exec plugin rotates it", async () => {
    await withHttp(rotatingCertificateKubeconfig(), async (http) => {
      const first = await whoAmI(http);
      const rotated = await waitFor(async () => {
        const now = await whoAmI(http);
        return now !== first ? now : undefined;
      }, { timeout: 15_000, description: "the identity of the rotated certificate" });
      expect(first).not.toMatch(/scheduler/);
      expect(rotated).toBe("system:kube-scheduler");
    });
  });
});
