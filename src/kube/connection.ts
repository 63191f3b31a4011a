import { existsSync, readFileSync } from "node:fs";
import type https from "node:https";
import os from "node:os";
import path from "node:path";
import { newClusters, newContexts, newUsers, type Cluster, type Context, type User } from "@kubernetes/client-node/dist/config_types.js";
import { ExecAuth } from "@kubernetes/client-node/dist/exec_auth.js";
import { parse } from "yaml";

/**
 * Where the API server is and how to talk to it: everything KubeHttp needs from a kubeconfig.
 *
 * Why not client-node's `KubeConfig`: its module imports every generated API client and model
 * (`gen/index.js`), about 30 MiB of heap and 70 MiB of RSS in a process whose whole working set is
 * otherwise 60 MiB. We still use client-node for what a kubeconfig means: its own parsing of clusters,
 * users and contexts (`config_types`) and its exec credential plugin runner (`ExecAuth`).
 */
export interface ApiServerConnection {
  /** The API server's URL, without a trailing slash. */
  readonly server: URL;
  /** Where the connection came from, for messages: a kubeconfig's path and context, or "in-cluster". */
  readonly source: string;
  /** The namespace of the kubeconfig's context, or the pod's own namespace in a cluster. */
  readonly namespace?: string;
  /** Sets TLS material and credentials on a request. Called for every request, so rotated tokens are picked up. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

/** A kubeconfig that cannot be used, with what to change. */
export class KubeconfigError extends Error {
  constructor(source: string, problem: string, fix: string, options?: ErrorOptions) {
    super(`${source}: ${problem}; ${fix}`, options);
    this.name = "KubeconfigError";
  }
}

/**
 * The connection to use: the file given, else the pod's service account when running in a cluster,
 * else $KUBECONFIG (a list of files, merged as kubectl does), else ~/.kube/config.
 */
export function loadConnection(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ApiServerConnection {
  if (file) return fromKubeconfigFiles([file]);
  if (env.KUBERNETES_SERVICE_HOST) return inCluster(env);
  const files = (env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "" && existsSync(f));
  if (files.length > 0) return fromKubeconfigFiles(files);
  const home = path.join(os.homedir(), ".kube", "config");
  if (existsSync(home)) return fromKubeconfigFiles([home]);
  throw new KubeconfigError("kubeconfig", "none found (no --kubeconfig, $KUBECONFIG, ~/.kube/config, nor a pod's service account)", "pass --kubeconfig FILE");
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The kubelet rotates the projected token well before it expires; client-go re-reads it every minute too. */
const TOKEN_REREAD_MS = 60_000;

/** The pod's service account: the API server from the environment, its token re-read as it rotates. */
export function inCluster(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): ApiServerConnection {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const server = new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`);
  const unreadable = (file: string, err: unknown): KubeconfigError =>
    new KubeconfigError("in-cluster", `cannot read ${file} (${(err as Error).message})`, "mount the ServiceAccount token (automountServiceAccountToken: true) or pass --kubeconfig", { cause: err });
  let ca: Buffer;
  try {
    ca = readFileSync(path.join(dir, "ca.crt"));
  } catch (err) {
    throw unreadable(path.join(dir, "ca.crt"), err);
  }
  const namespaceFile = path.join(dir, "namespace");
  const tokenFile = rereadingFile(path.join(dir, "token"), TOKEN_REREAD_MS);
  const token = (): string => {
    try {
      return tokenFile();
    } catch (err) {
      throw unreadable(path.join(dir, "token"), err);
    }
  };
  return {
    server,
    source: "in-cluster",
    namespace: existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : undefined,
    applyToHTTPSOptions: async (options) => {
      options.ca = ca;
      setHeader(options, "Authorization", `Bearer ${token()}`);
    },
  };
}

/**
 * The current context of one or more kubeconfig files. Several files merge as kubectl merges them: the
 * first file to name a cluster, user or context (or the current context) wins. Relative paths in a file
 * are relative to that file.
 */
export function fromKubeconfigFiles(files: readonly string[]): ApiServerConnection {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext: string | undefined;
  for (const file of files) {
    const raw = readKubeconfig(file);
    const dir = path.dirname(path.resolve(file));
    const wrap = <T>(parse: () => T): T => {
      try {
        return parse();
      } catch (err) {
        throw new KubeconfigError(file, (err as Error).message, "fix that entry", { cause: err });
      }
    };
    for (const c of wrap(() => newClusters(raw.clusters))) if (!clusters.has(c.name)) clusters.set(c.name, withAbsoluteClusterPaths(c, dir));
    for (const u of wrap(() => newUsers(withAbsoluteUserPaths(raw.users, dir)))) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of wrap(() => newContexts(raw.contexts))) if (!contexts.has(c.name)) contexts.set(c.name, c);
    currentContext ??= typeof raw["current-context"] === "string" && raw["current-context"] ? raw["current-context"] : undefined;
  }
  const source = files.join(path.delimiter);
  if (!currentContext) throw new KubeconfigError(source, "current-context is not set", "run `kubectl config use-context NAME`");
  const context = contexts.get(currentContext);
  if (!context) throw new KubeconfigError(source, `current-context "${currentContext}" is not among its contexts`, "set current-context to one of them");
  const cluster = clusters.get(context.cluster);
  if (!cluster) throw new KubeconfigError(source, `context "${context.name}" names cluster "${context.cluster}", which is not defined`, "add it under clusters");
  const user = users.get(context.user) ?? { name: context.user };
  return connectionFor(cluster, user, `${source} (context "${context.name}")`, context.namespace);
}

function readKubeconfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new KubeconfigError(file, `cannot be read (${(err as Error).message})`, "pass an existing kubeconfig file", { cause: err });
  }
  const raw: unknown = parse(text);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new KubeconfigError(file, "is not a kubeconfig (a YAML mapping with clusters, users and contexts)", "pass a kubeconfig file");
  }
  return raw as Record<string, unknown>;
}

const absolute = (dir: string, p: string | undefined | null): string | undefined => (p ? path.resolve(dir, p) : undefined);

function withAbsoluteClusterPaths(c: Cluster, dir: string): Cluster {
  return c.caFile ? { ...c, caFile: absolute(dir, c.caFile) } : c;
}

/**
 * Resolves a user's file paths before client-node reads `token-file` while parsing; an exec plugin's
 * command too when it is a relative path (it has a slash), as kubectl does, while a bare name is looked up
 * on $PATH.
 */
function withAbsoluteUserPaths(users: unknown, dir: string): unknown {
  if (!Array.isArray(users)) return users;
  return users.map((u: { user?: Record<string, unknown> }) => {
    if (!u?.user) return u;
    const user = { ...u.user };
    for (const key of ["client-certificate", "client-key", "token-file"]) {
      if (typeof user[key] === "string") user[key] = absolute(dir, user[key] as string);
    }
    const exec = user.exec as { command?: unknown } | undefined;
    if (typeof exec?.command === "string" && exec.command.includes("/") && !path.isAbsolute(exec.command)) {
      user.exec = { ...exec, command: path.resolve(dir, exec.command) };
    }
    return { ...u, user };
  });
}

/** Turns a parsed cluster and user into request options; refuses what it cannot honour rather than ignore it. */
export function connectionFor(cluster: Cluster, user: User, source: string, namespace?: string): ApiServerConnection {
  if (cluster.proxyUrl) throw new KubeconfigError(source, `cluster "${cluster.name}" sets proxy-url`, "reach the API server without a proxy");
  if (user.authProvider) {
    throw new KubeconfigError(source, `user "${user.name}" uses auth-provider "${String(user.authProvider?.name)}", which is not supported`, "use a token, a client certificate or an exec credential plugin");
  }
  const ca = fileOrData(cluster.caFile, cluster.caData);
  const cert = fileOrData(user.certFile, user.certData);
  const key = fileOrData(user.keyFile, user.keyData);
  const exec = user.exec ? new ExecAuth() : undefined;
  return {
    server: new URL(cluster.server),
    source,
    namespace,
    applyToHTTPSOptions: async (options) => {
      if (ca) options.ca = ca;
      if (cert) options.cert = cert;
      if (key) options.key = key;
      if (cluster.skipTLSVerify) options.rejectUnauthorized = false;
      if (cluster.tlsServerName) options.servername = cluster.tlsServerName;
      if (user.token) setHeader(options, "Authorization", `Bearer ${user.token.trim()}`);
      else if (user.username) options.auth = `${user.username}:${user.password ?? ""}`;
      if (user.impersonateUser) setHeader(options, "Impersonate-User", user.impersonateUser);
      // The plugin's credential (a token or a client certificate) is cached by ExecAuth until it expires.
      if (exec) await exec.applyAuthentication(user, options);
    },
  };
}

function fileOrData(file: string | undefined | null, data: string | undefined | null): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, "base64");
  return undefined;
}

function setHeader(options: https.RequestOptions, name: string, value: string): void {
  options.headers = { ...(options.headers as Record<string, string> | undefined), [name]: value };
}

/** A file's contents, read again once they are older than `maxAgeMs`. */
function rereadingFile(file: string, maxAgeMs: number): () => string {
  let value = "";
  let readAt = -Infinity;
  return () => {
    const now = Date.now();
    if (now - readAt >= maxAgeMs) {
      value = readFileSync(file, "utf8").trim();
      readAt = now;
    }
    return value;
  };
}
