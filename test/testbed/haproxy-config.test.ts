import { describe, expect, it } from "vitest";
import { balanceLine, observeSuffix, renderHaproxyConfig, SERVER_WEIGHT } from "../../bench/lor/haproxy-config.js";
import { balanceFor } from "../../bench/lor/scenario.js";
import { disturbance } from "../../bench/lor/sweep.js";
import { parseService } from "../../bench/lor/random.js";
import { summarize } from "../../bench/lor/summary.js";

describe("testbed HAProxy configuration", () => {
  const config = renderHaproxyConfig({
    sections: [
      { name: "a", port: 4001, balance: "random1" },
      { name: "b", port: 4002, balance: "random2" },
      { name: "c", port: 4003, balance: "leastconn" },
      { name: "d", port: 4004, balance: "random4" },
    ],
    servers: [5001, 5002],
  });

  it("spells out the number of draws, since a bare `balance random` means random(2)", () => {
    expect(config).toContain("balance random(1)");
    expect(config).toContain("balance random(2)");
    expect(config).toContain("balance leastconn");
    expect(config).toContain("balance random(4)");
    expect(config).not.toMatch(/balance random\s*$/m);
  });

  it("gives every server in every section the same higher weight and no maxconn, so HAProxy never queues", () => {
    const servers = config.split("\n").filter((line) => line.trim().startsWith("server "));
    expect(servers).toHaveLength(8);
    for (const line of servers) {
      expect(line).toContain(`weight ${SERVER_WEIGHT}`);
      expect(line).not.toContain("maxconn");
    }
  });

  it("binds each frontend to loopback only", () => {
    const binds = config.split("\n").filter((line) => line.trim().startsWith("bind "));
    expect(binds).toEqual(["  bind 127.0.0.1:4001", "  bind 127.0.0.1:4002", "  bind 127.0.0.1:4003", "  bind 127.0.0.1:4004"]);
  });
});

describe("testbed policies", () => {
  it("maps LR(4) to random(4) and LR(R) to random(R) draws, one per replica", () => {
    expect(balanceLine(balanceFor("lr4", 10))).toBe("balance random(4)");
    expect(balanceLine(balanceFor("lrR", 50))).toBe("balance random(50)");
    expect(balanceLine(balanceFor("leastconn", 50))).toBe("balance leastconn");
  });

  it("marks a run as disturbed when the generator lagged or the service times stretched", () => {
    const run = { sendLagP99Ms: 5, serviceMeanMs: 20.2, scenario: { meanMs: 20 } } as Parameters<typeof disturbance>[0];
    expect(disturbance(run, 20)).toBeUndefined();
    expect(disturbance({ ...run, sendLagP99Ms: 52 }, 20)).toMatch(/send lag 52\.0 ms/);
    expect(disturbance({ ...run, serviceMeanMs: 21.9 }, 20)).toMatch(/service time 21\.90 ms/);
  });
});

describe("testbed helpers", () => {
  it("summarizes with nearest-rank percentiles", () => {
    const s = summarize(Float64Array.from({ length: 100 }, (_, i) => i + 1));
    expect(s).toEqual({ mean: 50.5, p50: 50, p95: 95, p99: 99 });
  });

  it("parses the simulator's service-time spelling and names the flag on errors", () => {
    expect(parseService("lognormal:2")).toEqual({ kind: "lognormal", cv: 2 });
    expect(parseService("exp")).toEqual({ kind: "exp" });
    expect(() => parseService("gamma")).toThrow(/--service/);
  });
});

describe("testbed HAProxy outlier detection (issue 19)", () => {
  const config = renderHaproxyConfig({
    sections: [
      { name: "plain", port: 4001, balance: "random2" },
      { name: "od", port: 4002, balance: "leastconn", outlierDetection: { errorLimit: 5, ejectionMs: 10_000 } },
    ],
    servers: [5001, 5002],
  });
  const serversOf = (section: string): string[] => {
    const lines = config.split("\n");
    const start = lines.indexOf(`backend be_${section}`);
    return lines.slice(start + 1).filter((l, i, rest) => l.trim().startsWith("server ") && !rest.slice(0, i).some((x) => x.startsWith("backend ")));
  };

  it("watches every response and marks a server down after error-limit errors in a row, only where asked", () => {
    for (const line of serversOf("od")) {
      expect(line).toContain("observe layer7 error-limit 5 on-error mark-down");
      // Back at the first passing check: every 10 s, whatever the server's state.
      expect(line).toContain("check inter 10000ms fastinter 10000ms downinter 10000ms rise 1 fall 1");
    }
    for (const line of serversOf("plain")) expect(line).not.toContain("check");
  });

  it("refuses an error limit below 1", () => {
    expect(() => observeSuffix({ errorLimit: 0, ejectionMs: 1000 })).toThrow(/errorLimit >= 1/);
  });
});
