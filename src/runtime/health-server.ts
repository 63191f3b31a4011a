import http from "node:http";
import type { Registry } from "prom-client";

export interface HealthChecks {
  /** Liveness: the process works (its event loop answers). */
  readonly healthy: () => boolean;
  /** Readiness: the caches have synced, so reconciles see the cluster. */
  readonly ready: () => boolean;
  /** Called before each scrape, to refresh gauges that are computed rather than counted. */
  readonly beforeScrape?: () => void;
}

/** Serves /metrics (Prometheus text), /healthz and /readyz on one port. Resolves once listening. */
export async function startHealthServer(
  address: { host: string; port: number },
  registry: Registry,
  checks: HealthChecks,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8"): void => {
      res.writeHead(status, { "Content-Type": type });
      res.end(body);
    };
    if (path === "/metrics") {
      checks.beforeScrape?.();
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (err: unknown) => reply(500, String(err)),
      );
    } else if (path === "/healthz" || path === "/livez") {
      if (checks.healthy()) reply(200, "ok");
      else reply(500, "unhealthy");
    } else if (path === "/readyz") {
      if (checks.ready()) reply(200, "ok");
      else reply(503, "caches not synced");
    } else {
      reply(404, "not found");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => resolve());
  });
  return server;
}
