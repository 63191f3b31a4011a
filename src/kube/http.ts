import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError } from "./errors.js";

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
}

/**
 * A JSON request to the API server with the KubeConfig's credentials.
 *
 * Why not the generated typed clients: their serializer turns timestamps into Dates and drops fields it
 * does not know (every Istio field, our own CRD), so the objects we cache would not compare equal to what
 * we render, and server-side apply needs the exact JSON we send. This keeps objects as plain JSON end to end.
 * Connections are kept alive and shared, since a reconcile makes several requests in a row.
 */
export class KubeHttp {
  readonly #kc: KubeConfig;
  readonly #server: URL;
  #agent: http.Agent | undefined;
  /** Told about every request (watches too, via `observe`), to count what RBAC must allow. */
  readonly observe: (method: string, path: string, isWatch?: boolean) => void;

  constructor(kc: KubeConfig, observe: (method: string, path: string, isWatch?: boolean) => void = () => undefined) {
    this.observe = observe;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster; pass --kubeconfig or run in a pod");
    this.#kc = kc;
    this.#server = new URL(cluster.server);
  }

  get kubeConfig(): KubeConfig {
    return this.#kc;
  }

  /** Sends one request and returns the parsed JSON body; throws KubeApiError for any status >= 300. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    this.observe(method, path);
    const options: https.RequestOptions = { method, headers: { Accept: "application/json" } };
    // applyToHTTPSOptions adds the bearer token (re-read each time, so a rotated token is picked up) and TLS material.
    await this.#kc.applyToHTTPSOptions(options);
    const agent = this.#agentFor(options);
    const url = new URL(this.#server.toString().replace(/\/$/, "") + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders | undefined) };
    if (payload !== undefined) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = Buffer.byteLength(payload);
    }
    const transport = url.protocol === "https:" ? https : http;
    const label = `${method} ${url.pathname}`;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent, auth: options.auth, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${label}: no response within 60 s`)));
      req.on("error", (err) => reject(new Error(`${label}: ${err.message}`, { cause: err })));
      req.end(payload);
    });
    // A server-side apply that creates the object is authorized as `create` as well: count it as such.
    if (method === "PATCH" && status === 201) this.observe("POST", path);
    if (status >= 300) {
      const parsed = safeParse(text) as { reason?: string; message?: string } | undefined;
      throw new KubeApiError(status, parsed?.reason ?? "Unknown", parsed?.message ?? text.slice(0, 300), label);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  #agentFor(options: https.RequestOptions): http.Agent {
    if (this.#agent) return this.#agent;
    this.#agent =
      this.#server.protocol === "https:"
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 16,
            ca: options.ca,
            cert: options.cert,
            key: options.key,
            servername: options.servername,
            ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
          })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
    return this.#agent;
  }

  /** Closes idle keep-alive connections so the process can exit. */
  close(): void {
    this.#agent?.destroy();
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
