import type { AddressInfo } from "node:net";
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { startHealthServer } from "../../src/runtime/health-server.js";

// The health server on a loopback port: /metrics from the registry (refreshed before each scrape), /healthz and
// /readyz from the checks, 404 elsewhere.

describe("startHealthServer", () => {
  let close: () => Promise<void> = async () => undefined;
  afterEach(() => close());

  it("serves /metrics, /healthz (also /livez) and /readyz from the checks, and 404 elsewhere", async () => {
    const registry = new Registry();
    const scrapes = new Counter({ name: "test_scrapes_total", help: "scrapes", registers: [registry] });
    let ready = false;
    let healthy = true;
    const server = await startHealthServer({ host: "127.0.0.1", port: 0 }, registry, {
      healthy: () => healthy,
      ready: () => ready,
      beforeScrape: () => scrapes.inc(),
    });
    close = () => new Promise((resolve) => server.close(() => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
    };

    expect(await get("/readyz")).toMatchObject({ status: 503, body: "caches not synced" });
    ready = true;
    expect(await get("/readyz?verbose")).toMatchObject({ status: 200, body: "ok" });
    expect(await get("/healthz")).toMatchObject({ status: 200, body: "ok" });
    expect(await get("/livez")).toMatchObject({ status: 200, body: "ok" });
    healthy = false;
    expect(await get("/healthz")).toMatchObject({ status: 500, body: "unhealthy" });

    const first = await get("/metrics");
    expect(first.status).toBe(200);
    expect(first.type).toBe(registry.contentType);
    expect(first.body).toContain("test_scrapes_total 1");
    expect((await get("/metrics")).body).toContain("test_scrapes_total 2");

    expect(await get("/debug")).toMatchObject({ status: 404 });
  });

  it("rejects when the port is taken", async () => {
    const registry = new Registry();
    const checks = { healthy: () => true, ready: () => true };
    const server = await startHealthServer({ host: "127.0.0.1", port: 0 }, registry, checks);
    close = () => new Promise((resolve) => server.close(() => resolve()));
    const port = (server.address() as AddressInfo).port;
    await expect(startHealthServer({ host: "127.0.0.1", port }, registry, checks)).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
