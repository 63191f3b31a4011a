import { CommanderError } from "commander";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simulateCommand } from "../../src/cli/simulate.js";
import { parseOptions } from "../../src/sim/options.js";

/** Runs `simulate` in-process and returns what it printed, or the exit code and error text. */
async function runSimulate(args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  let out = "";
  let err = "";
  const command = simulateCommand({ out: (t) => (out += t) })
    .exitOverride()
    .configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  try {
    await command.parseAsync(args, { from: "user" });
    return { out, err, exitCode: 0 };
  } catch (e) {
    if (e instanceof CommanderError) return { out, err, exitCode: e.exitCode };
    throw e;
  }
}

describe("proxy-service simulate", () => {
  it.each([
    [["--load", "1"], "--load: expected a utilisation above 0 and below 1"],
    [["--replicas", "0"], "--replicas: expected a whole number >= 1"],
    [["--policy", "fastest"], '--policy: unknown value "fastest"; use one of random, round-robin, least-request'],
    [["--mode", "mesh"], '--mode: unknown value "mesh"'],
    [["--service", "gamma"], '--service: unknown distribution "gamma"'],
    [["--hop-latency", "1ms"], "--hop-latency: \"1ms\" has a unit but the mean service time has none"],
    [["--sweep", "colour=1,2"], "--sweep: expected key=v1,v2,..."],
    [["--sweep", "load=0.5,1.5"], "--load: expected a utilisation above 0 and below 1"],
  ])("exits with code 2 and names the flag for %j", async (args, message) => {
    const r = await runSimulate(args);
    expect(r.exitCode).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe("");
  });

  it("prints one JSON object per configuration with the latency statistics", async () => {
    const r = await runSimulate(["--json", "--requests", "20000", "--sweep", "callers=1,10"]);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      for (const key of ["requests", "throughput", "mean", "p50", "p95", "p99"]) expect(typeof line[key]).toBe("number");
    }
    expect(lines.map((l) => l["callers"])).toEqual([1, 10]);
  });

  it("converts times with units through --service-mean and prints milliseconds", async () => {
    const plain = JSON.parse((await runSimulate(["--json", "--requests", "20000", "--mode", "proxy"])).out) as Record<string, number>;
    const withUnits = JSON.parse((await runSimulate(["--json", "--requests", "20000", "--mode", "proxy", "--service-mean", "20ms", "--hop-latency", "2ms"])).out) as Record<string, number>;
    expect(withUnits["unit"]).toBe("ms");
    expect(withUnits["mean"]).toBeCloseTo((plain["mean"] as number) * 20 + 2, 6);
  });

  it("adds a sidecar / proxy ratio table when the sweep varies the mode, and writes SVG and PNG plots", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simulate-"));
    try {
      const r = await runSimulate(["--requests", "20000", "--sweep", "mode=sidecar,proxy", "--sweep", "callers=10,100", "--out", dir]);
      expect(r.exitCode).toBe(0);
      expect(r.out).toMatch(/callers\s+mode\s+mean ratio\s+p95 ratio/);
      expect(r.out).toMatch(/100\s+sidecar \/ proxy\s+\d/);
      const png = readFileSync(join(dir, "mean-latency-vs-callers.png"));
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(readFileSync(join(dir, "p95-latency-vs-callers.svg"), "utf8")).toContain("mode=sidecar");
      expect(existsSync(join(dir, "mean-latency-vs-mode.svg"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads an arrival trace and service-time samples from files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simulate-"));
    try {
      writeFileSync(join(dir, "arrivals.txt"), "# seconds\n0\n1\n2\n3\n4\n");
      writeFileSync(join(dir, "service.txt"), "20\n20\n");
      const args = ["--json", "--requests", "5000", "--policy", "round-robin", "--mode", "global", "--load", "0.5"];
      const r = await runSimulate([...args, "--arrivals", join(dir, "arrivals.txt"), "--service", `file:${join(dir, "service.txt")}`]);
      const line = JSON.parse(r.out) as Record<string, number>;
      // Regular arrivals and constant service behind round-robin never queue: every latency is one service time.
      expect(line["max"]).toBeCloseTo(1, 9);
      const missing = await runSimulate([...args, "--arrivals", join(dir, "missing.txt")]);
      expect(missing.exitCode).toBe(2);
      expect(missing.err).toContain("--arrivals: cannot read");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is registered in the proxy-service binary, where an unknown flag also exits with code 2", () => {
    // One process start only (seconds through tsx); in-process tests above cover the value errors.
    const unknown = spawnSync(process.execPath, ["bin/proxy-service.js", "simulate", "--lod", "0.5"], { encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--lod'");
  }, 30_000);
});

describe("parseOptions", () => {
  it("reads choices=all, distinct draws and lognormal cv, and draws with replacement by default as Envoy does", () => {
    expect(parseOptions({}).config.draws).toBe("with-replacement");
    const { config } = parseOptions({ choices: "all", draws: "without", service: "lognormal:2.5", requests: "1e6" });
    expect(config.choices).toBe("all");
    expect(config.draws).toBe("without-replacement");
    expect(config.service).toEqual({ kind: "lognormal", cv: 2.5 });
    expect(config.requests).toBe(1_000_000);
  });
});

describe("proxy-service simulate --afford", () => {
  it("prints the gain kept per number of proxies, the most that keep half of it, and the proxies a rate needs", async () => {
    const { out, exitCode } = await runSimulate(["--afford", "--callers", "100", "--replicas", "20", "--load", "0.8", "--requests", "40000", "--rate", "580"]);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/proxies\s+mean\s+p95\s+sidecar \/ proxy \(mean\)\s+gain kept/);
    expect(out).toMatch(/^\s+1\s.*100 %$/m);
    expect(out).toMatch(/up to \d+ proxies keep at least 50 % of the one-proxy gain/);
    expect(out).toMatch(/at 580 req\/s with a CPU request of 500m .* one proxy carries about 1143 req\/s .* runs about 1 proxy: affordable/);
  });

  it("rejects --keep outside (0, 1), naming the flag", async () => {
    const { err, exitCode } = await runSimulate(["--afford", "--keep", "2"]);
    expect(exitCode).toBe(2);
    expect(err).toContain("--keep: must be a fraction above 0 and below 1");
  });
});

describe("proxy-service simulate --compare", () => {
  it("prints one row per way to balance, with K proxies when --proxies is above 1, and ratios against the sidecars' default", async () => {
    const { out, exitCode } = await runSimulate(["--compare", "--callers", "60", "--replicas", "20", "--load", "0.8", "--proxies", "4", "--requests", "20000"]);
    expect(exitCode).toBe(0);
    for (const label of ["sidecar, two choices (Istio's default)", "sidecar, peak EWMA", "sidecar, ORCA weighted round robin", "sidecar, Prequal", "one proxy, two choices", "one proxy, full scan", "4 proxies, two choices", "4 proxies, full scan"]) {
      expect(out).toContain(label);
    }
    expect(out).toMatch(/sidecar, two choices \(Istio's default\)(\s+[\d.]+){3}\s+1\.00$/m);
    expect(out).not.toContain("failed");
  });

  it("adds the failed share and ejections when a replica fails, and writes JSON lines keyed by setup", async () => {
    const args = ["--compare", "--failing-replicas", "1", "--outlier-detection", "on", "--requests", "20000"];
    const table = await runSimulate(args);
    expect(table.out).toMatch(/setup\s+mean\s+p95\s+p99\s+failed\s+ejections/);
    expect(table.out).toContain("1 failing (100 %)");
    const json = await runSimulate([...args, "--json", "--sweep", "load=0.7,0.9"]);
    const lines = json.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(12);
    expect(lines.map((l) => l["setup"]).slice(0, 6)).toEqual(["sidecar-two-choices", "sidecar-peak-ewma", "sidecar-orca-wrr", "sidecar-prequal", "proxy1-two-choices", "proxy1-full-scan"]);
    for (const l of lines) expect(typeof l["failedFraction"]).toBe("number");
  });

  it.each([
    [["--compare", "--proxy-choices", "all"], "--proxy-choices: cannot be combined with --compare"],
    [["--outlier-detection", "yes"], '--outlier-detection: unknown value "yes"'],
    [["--failure-rate", "1.5"], "--failure-rate: expected a fraction in [0, 1]"],
    [["--failing-replicas", "30"], "--failing-replicas: 0 slow + 30 failing replicas are more than the 20 replicas"],
    [["--prequal-hot-quantile", "2"], "--prequal-hot-quantile: expected a fraction in [0, 1]"],
  ])("exits with code 2 and names the flag for %j", async (args, message) => {
    const r = await runSimulate([...args, "--requests", "1000"]);
    expect(r.exitCode).toBe(2);
    expect(r.err).toContain(message);
  });

  it("converts the policies' real-time defaults with --service-mean: 10 s of peak EWMA decay is 1000 service times of 10 ms", () => {
    expect(parseOptions({ "service-mean": "10ms" }).config.params.peakEwma.decay).toBeCloseTo(1000, 9);
    expect(parseOptions({}).config.params.peakEwma.decay).toBeCloseTo(500, 9); // the assumed 20 ms
    expect(parseOptions({ "service-mean": "10ms", "orca-blackout": "2s" }).config.params.orca.blackoutPeriod).toBeCloseTo(200, 9);
    expect(parseOptions({ "outlier-detection": "on", "service-mean": "10ms" }).config.outlierDetection).toEqual({ consecutiveErrors: 5, baseEjectionTime: 3000, maxEjectionTime: 30_000, maxEjectionPercent: 10 });
  });
});
