import http from "node:http";
import https from "node:https";
import { ApiAnswers } from "./api-answers.js";
import type { ApiServerConnection } from "./connection.js";
import { KubeApiError } from "./errors.js";

/** Past the 60 s request timeout, so that no request is cut short when its agent is retired. */
const RETIRED_AGENT_GRACE_MS = 120_000;

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
}

/**
 * JSON requests and watches to the API server with the connection's credentials.
 *
 * Why not the generated typed clients: their serializer turns timestamps into Dates and drops fields it
 * does not know (every Istio field, our own CRD), so the objects we cache would not compare equal to what
 * we render, and server-side apply needs the exact JSON we send. This keeps objects as plain JSON end to end.
 * Connections are kept alive and shared, since a reconcile makes several requests in a row; watches hold a
 * connection each for minutes, so they have an agent of their own and never starve the requests.
 */
export class KubeHttp {
  readonly #connection: ApiServerConnection;
  readonly #agents: Partial<Record<"request" | "watch", { readonly agent: http.Agent; readonly material: string }>> = {};
  /** Told about every request (watches too, via `observe`), to count what RBAC must allow. */
  readonly observe: (method: string, path: string, isWatch?: boolean) => void;
  /** Told about every successful answer: the watchers waiting out a backoff retry at once (api-answers.ts). */
  readonly answers = new ApiAnswers();

  constructor(connection: ApiServerConnection, observe: (method: string, path: string, isWatch?: boolean) => void = () => undefined) {
    this.observe = observe;
    this.#connection = connection;
  }

  get connection(): ApiServerConnection {
    return this.#connection;
  }

  /** Sends one request and returns the parsed JSON body; throws KubeApiError for any status >= 300. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    this.observe(method, path);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const { url, options } = await this.#prepare(method, path, opts.query, "request");
    if (payload !== undefined) {
      options.headers["Content-Type"] = opts.contentType ?? "application/json";
      options.headers["Content-Length"] = Buffer.byteLength(payload);
    }
    const label = `${method} ${url.pathname}`;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = transportOf(url).request(url, { ...options, timeout: 60_000 }, (res) => {
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
    if (status >= 300) throw apiError(status, text, label);
    this.answers.answered();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * Holds a watch open (a GET answered with one JSON event per line) and calls `onEvent` with each line,
   * parsed. Resolves when the server ends the response or `signal` aborts; rejects when the request fails,
   * the status is not 200, or nothing arrives for `idleTimeoutMs` (a connection that died silently).
   * The caller counts the request with `observe`, as a watch.
   */
  async watch(path: string, query: Query, onEvent: (event: unknown) => void, opts: { signal: AbortSignal; idleTimeoutMs: number; onOpen?: () => void }): Promise<void> {
    const { url, options } = await this.#prepare("GET", path, { ...query, watch: true }, "watch");
    const label = `WATCH ${url.pathname}`;
    const { signal } = opts;
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const fail = (err: Error): void => (signal.aborted ? resolve() : reject(new Error(`${label}: ${err.message}`, { cause: err })));
      const req = transportOf(url).request(url, { ...options, signal, timeout: opts.idleTimeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => reject(apiError(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), label)));
          return;
        }
        this.answers.answered();
        opts.onOpen?.();
        res.setEncoding("utf8");
        let pending = "";
        res.on("data", (chunk: string) => {
          pending += chunk;
          try {
            for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
              const line = pending.slice(0, nl);
              pending = pending.slice(nl + 1);
              if (line.trim()) onEvent(JSON.parse(line));
            }
          } catch (err) {
            // A line that is not JSON, or a handler that threw: end this watch with the error (the watcher resumes).
            req.destroy(err as Error);
          }
        });
        res.on("end", () => resolve());
        res.on("error", fail);
      });
      req.on("timeout", () => req.destroy(new Error(`nothing received for ${opts.idleTimeoutMs / 1000} s`)));
      req.on("error", fail);
      req.end();
    });
  }

  /** The URL and options of a request: the connection's credentials (applied afresh each time) and an agent. */
  async #prepare(method: string, path: string, query: Query | undefined, use: "request" | "watch"): Promise<{ url: URL; options: Omit<https.RequestOptions, "headers"> & { headers: http.OutgoingHttpHeaders } }> {
    const credentials: https.RequestOptions = { headers: { Accept: "application/json" } };
    await this.#connection.applyToHTTPSOptions(credentials);
    const url = new URL(this.#connection.server.toString().replace(/\/$/, "") + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers = { ...(credentials.headers as http.OutgoingHttpHeaders) };
    return { url, options: { method, headers, agent: this.#agentFor(credentials, use), auth: credentials.auth } };
  }

  /**
   * The agent for requests (at most 16 shared connections) or for watches (one each), made with the TLS
   * material of the credentials. When that material changes (an exec plugin handed out a new client
   * certificate), later requests get a new agent; the old one is closed once its requests have had their
   * time (watches on it end, and their watchers resume on the new one).
   */
  #agentFor(tls: https.RequestOptions, use: "request" | "watch"): http.Agent {
    const existing = this.#agents[use];
    // By content, not by reference: a KubeConfig-style connection may read the files afresh for every request.
    const material = [tls.ca, tls.cert, tls.key].map(pemText).join("\0");
    if (existing?.material === material) return existing.agent;
    if (existing) setTimeout(() => existing.agent.destroy(), RETIRED_AGENT_GRACE_MS).unref();
    const maxSockets = use === "request" ? 16 : Infinity;
    const agent =
      this.#connection.server.protocol === "https:"
        ? new https.Agent({
            keepAlive: true,
            maxSockets,
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            servername: tls.servername,
            ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
          })
        : new http.Agent({ keepAlive: true, maxSockets });
    this.#agents[use] = { agent, material };
    return agent;
  }

  /** Closes the connections so the process can exit. */
  close(): void {
    this.#agents.request?.agent.destroy();
    this.#agents.watch?.agent.destroy();
  }
}

/** A CA, certificate or key option as text (PEM), whatever form it was given in. */
function pemText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map(pemText).join("\n");
  if (Buffer.isBuffer(value)) return value.toString("latin1");
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function transportOf(url: URL): typeof https | typeof http {
  return url.protocol === "https:" ? https : http;
}

function apiError(status: number, text: string, label: string): KubeApiError {
  const parsed = safeParse(text) as { reason?: string; message?: string } | undefined;
  return new KubeApiError(status, parsed?.reason ?? "Unknown", parsed?.message ?? text.slice(0, 300), label);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
