import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { startBackends } from "../../bench/lor/backends.js";

// Issue 19: the testbed's fast-failing replica, as HAProxy and the load generator see it: the last
// replica answers 503 in about 1 ms (still naming itself), the others serve 200 after their service time.
function get(port: number): Promise<{ status: number; backend: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/" }, (res) => {
      res.resume();
      res.once("end", () => resolve({ status: res.statusCode ?? 0, backend: String(res.headers["x-backend"]), ms: performance.now() - started }));
    });
    req.once("error", reject);
    req.end();
  });
}

describe("the testbed's failing replica", () => {
  it("answers 503 fast and counts it apart from the served requests, while a healthy replica serves 200", async () => {
    const backends = await startBackends({ replicas: 3, workers: 1, meanMs: 200, service: "det", seed: 1, failing: { count: 1, rate: 1, ms: 1 } });
    try {
      const failing = await get(backends.ports[2]!);
      expect(failing.status).toBe(503);
      expect(failing.backend).toBe("2");
      expect(failing.ms).toBeLessThan(150); // far below the 200 ms a healthy replica takes
      const healthy = await get(backends.ports[0]!);
      expect(healthy.status).toBe(200);
      expect(healthy.ms).toBeGreaterThanOrEqual(190);
      const stats = await backends.stats();
      expect(stats.failed).toEqual([0, 0, 1]);
      expect(stats.served).toEqual([1, 0, 0]);
    } finally {
      await backends.stop();
    }
  }, 30_000);
});
