import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { fromKubeconfigFiles, inCluster, loadConnection, type ApiServerConnection } from "../../src/kube/connection.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "connection-test-"));
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function kubeconfig(name: string, doc: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify({ apiVersion: "v1", kind: "Config", ...doc }));
  return file;
}

const oneContext = (user: Record<string, unknown>, cluster: Record<string, unknown> = { server: "https://127.0.0.1:6443/" }) => ({
  clusters: [{ name: "c", cluster }],
  users: [{ name: "u", user }],
  contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "shop" } }],
  "current-context": "ctx",
});

async function optionsOf(connection: ApiServerConnection): Promise<https.RequestOptions & { headers: Record<string, string> }> {
  const options: https.RequestOptions = { headers: { Accept: "application/json" } };
  await connection.applyToHTTPSOptions(options);
  return options as https.RequestOptions & { headers: Record<string, string> };
}

describe("fromKubeconfigFiles", () => {
  it("gives the current context's server, namespace, CA and bearer token", async () => {
    const file = kubeconfig("config", oneContext({ token: "abc\n" }, { server: "https://127.0.0.1:6443/", "certificate-authority-data": b64("CA") }));
    const connection = fromKubeconfigFiles([file]);
    expect(connection.server.toString()).toBe("https://127.0.0.1:6443/");
    expect(connection.namespace).toBe("shop");
    expect(connection.source).toContain('context "ctx"');
    const options = await optionsOf(connection);
    expect(options.ca?.toString()).toBe("CA");
    expect(options.headers.Authorization).toBe("Bearer abc");
    expect(options.headers.Accept).toBe("application/json");
  });

  it("reads certificate files relative to the kubeconfig's own folder, and honours skip-verify and the TLS server name", async () => {
    writeFileSync(path.join(dir, "ca.crt"), "CA-FILE");
    writeFileSync(path.join(dir, "client.crt"), "CERT");
    writeFileSync(path.join(dir, "client.key"), "KEY");
    const file = kubeconfig(
      "config",
      oneContext(
        { "client-certificate": "client.crt", "client-key": "./client.key" },
        { server: "https://10.0.0.1", "certificate-authority": "ca.crt", "insecure-skip-tls-verify": true, "tls-server-name": "kubernetes" },
      ),
    );
    const previous = process.cwd();
    process.chdir(os.tmpdir()); // relative to the file, not to where the operator was started
    try {
      const options = await optionsOf(fromKubeconfigFiles([file]));
      expect([options.ca?.toString(), options.cert?.toString(), options.key?.toString()]).toEqual(["CA-FILE", "CERT", "KEY"]);
      expect(options.rejectUnauthorized).toBe(false);
      expect(options.servername).toBe("kubernetes");
      expect(options.headers.Authorization).toBeUndefined();
    } finally {
      process.chdir(previous);
    }
  });

  it("reads a token-file, basic auth and impersonation", async () => {
    writeFileSync(path.join(dir, "token"), "from-file\n");
    const withFile = await optionsOf(fromKubeconfigFiles([kubeconfig("a", oneContext({ "token-file": "token", as: "jane" }))]));
    expect(withFile.headers.Authorization).toBe("Bearer from-file");
    expect(withFile.headers["Impersonate-User"]).toBe("jane");
    const basic = await optionsOf(fromKubeconfigFiles([kubeconfig("b", oneContext({ username: "admin", password: "secret" }))]));
    expect(basic.auth).toBe("admin:secret");
  });

  it("runs an exec credential plugin (a relative command is relative to the kubeconfig) and sends the token it prints", async () => {
    mkdirSync(path.join(dir, "bin"));
    const plugin = path.join(dir, "bin", "plugin.sh");
    const credential = { apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "from-plugin", expirationTimestamp: "2999-01-01T00:00:00Z" } };
    writeFileSync(plugin, `#!/bin/sh\necho '${JSON.stringify(credential)}'\n`);
    chmodSync(plugin, 0o755);
    const file = kubeconfig("config", oneContext({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./bin/plugin.sh", interactiveMode: "Never" } }));
    const previous = process.cwd();
    process.chdir(os.tmpdir());
    try {
      const options = await optionsOf(fromKubeconfigFiles([file]));
      expect(options.headers.Authorization).toBe("Bearer from-plugin");
    } finally {
      process.chdir(previous);
    }
  });

  it("merges several files as kubectl does: the first to name an entry or the current context wins", async () => {
    const first = kubeconfig("first", { clusters: [{ name: "c", cluster: { server: "https://first" } }], "current-context": "ctx" });
    const second = kubeconfig("second", { ...oneContext({ token: "t" }, { server: "https://second" }), "current-context": "other" });
    const connection = fromKubeconfigFiles([first, second]);
    expect(connection.server.host).toBe("first");
    expect((await optionsOf(connection)).headers.Authorization).toBe("Bearer t");
  });

  it.each([
    ["no current-context", { ...oneContext({ token: "t" }), "current-context": "" }, /current-context is not set; run `kubectl config use-context NAME`/],
    ["an unknown current-context", { ...oneContext({ token: "t" }), "current-context": "nope" }, /current-context "nope" is not among its contexts/],
    [
      "a context naming a missing cluster",
      { ...oneContext({ token: "t" }), contexts: [{ name: "ctx", context: { cluster: "gone", user: "u" } }] },
      /context "ctx" names cluster "gone", which is not defined; add it under clusters/,
    ],
    ["a cluster without a server", { ...oneContext({ token: "t" }), clusters: [{ name: "c", cluster: {} }] }, /clusters\[0\]\.cluster\.server is missing/],
    ["an auth-provider", oneContext({ "auth-provider": { name: "gcp" } }), /user "u" uses auth-provider "gcp", which is not supported; use a token, a client certificate or an exec credential plugin/],
    ["a proxy-url", oneContext({ token: "t" }, { server: "https://x", "proxy-url": "http://proxy:3128" }), /cluster "c" sets proxy-url/],
  ])("refuses %s, naming the field and the fix", (_what, doc, message) => {
    const file = kubeconfig("config", doc);
    expect(() => fromKubeconfigFiles([file])).toThrow(message);
    expect(() => fromKubeconfigFiles([file])).toThrow(file);
  });

  it("says which file cannot be read or is not a kubeconfig", () => {
    expect(() => fromKubeconfigFiles([path.join(dir, "missing")])).toThrow(/missing: cannot be read/);
    writeFileSync(path.join(dir, "list"), "- a\n- b\n");
    expect(() => fromKubeconfigFiles([path.join(dir, "list")])).toThrow(/is not a kubeconfig/);
  });
});

describe("inCluster", () => {
  function serviceAccountDir(token: string): string {
    const sa = path.join(dir, "serviceaccount");
    mkdirSync(sa);
    writeFileSync(path.join(sa, "ca.crt"), "CLUSTER-CA");
    writeFileSync(path.join(sa, "token"), token);
    writeFileSync(path.join(sa, "namespace"), "proxy-service-system\n");
    return sa;
  }

  it("uses the service's address, the pod's namespace and CA, and re-reads the rotated token after a minute", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const sa = serviceAccountDir("one");
    const connection = inCluster({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, sa);
    expect(connection.server.toString()).toBe("https://10.96.0.1/");
    expect(connection.namespace).toBe("proxy-service-system");
    expect((await optionsOf(connection)).ca?.toString()).toBe("CLUSTER-CA");
    expect((await optionsOf(connection)).headers.Authorization).toBe("Bearer one");
    writeFileSync(path.join(sa, "token"), "two");
    vi.advanceTimersByTime(30_000);
    expect((await optionsOf(connection)).headers.Authorization).toBe("Bearer one");
    vi.advanceTimersByTime(31_000);
    expect((await optionsOf(connection)).headers.Authorization).toBe("Bearer two");
  });

  it("says what to mount when the pod has no ServiceAccount token", () => {
    expect(() => inCluster({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }, path.join(dir, "absent"))).toThrow(
      /in-cluster: cannot read .*ca\.crt .*; mount the ServiceAccount token \(automountServiceAccountToken: true\) or pass --kubeconfig/,
    );
  });

  it("brackets an IPv6 service address", () => {
    const sa = serviceAccountDir("t");
    expect(inCluster({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" }, sa).server.host).toBe("[fd00::1]:6443");
  });
});

describe("loadConnection", () => {
  it("prefers --kubeconfig, then $KUBECONFIG (merged), and says what to pass when there is nothing", () => {
    const given = kubeconfig("given", oneContext({ token: "t" }, { server: "https://given" }));
    const fromEnv = kubeconfig("env", oneContext({ token: "t" }, { server: "https://env" }));
    const env = { KUBECONFIG: [path.join(dir, "absent"), fromEnv].join(path.delimiter) };
    expect(loadConnection(given, env).server.host).toBe("given");
    expect(loadConnection(undefined, env).server.host).toBe("env");
    vi.spyOn(os, "homedir").mockReturnValue(dir);
    try {
      expect(() => loadConnection(undefined, {})).toThrow(/none found .*; pass --kubeconfig FILE/);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
