import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { freePort, repoRoot } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";

const logDir = path.join(repoRoot, ".local-cluster", "test-logs");

/** One sample of an instant query's vector. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface ActiveAlert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}
export interface RuleHealth {
  name: string;
  health: string;
  lastError?: string;
  /** RFC 3339 time of the rule's last evaluation. */
  lastEvaluation: string;
}

export interface PrometheusServer {
  readonly url: string;
  readonly logFile: string;
  /** An instant query; throws with Prometheus' own error (a parse error is `bad_data`). */
  query(promql: string): Promise<Sample[]>;
  /** Pending and firing alerts. */
  alerts(): Promise<ActiveAlert[]>;
  /** Every loaded rule with its health ("ok" once evaluated without error). */
  rules(): Promise<RuleHealth[]>;
  /** The health of each scrape target ("up", "down", "unknown"). */
  targets(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's Prometheus server (hack/prometheus.sh installs it when missing) on a free loopback port,
 * scraping `targets` every second with honor_labels (as the chart's ServiceMonitor does) and evaluating
 * `ruleGroups` every second. The rules are used as given: only the intervals are short, not their `for`.
 * Its data lives in a temporary directory, removed by stop().
 */
export async function startPrometheus(targets: readonly string[], ruleGroups: readonly unknown[]): Promise<PrometheusServer> {
  execFileSync(path.join(repoRoot, "hack/prometheus.sh"), ["--install"], { stdio: ["ignore", "inherit", "inherit"] });
  const dir = mkdtempSync(path.join(tmpdir(), "pso-prometheus-"));
  writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups: ruleGroups }));
  writeFileSync(
    path.join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
      rule_files: ["rules.yaml"],
      scrape_configs: [{ job_name: "proxy-service-operator", honor_labels: true, static_configs: [{ targets }] }],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `prometheus-${port}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(
    "prometheus",
    [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor(async () => (await fetch(`${url}/-/ready`).then((r) => r.ok).catch(() => false)) || child.exitCode !== null, {
    timeout: 30_000,
    description: `Prometheus ready (log: ${logFile})`,
  });
  if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}; see ${logFile}`);

  const api = async <T>(endpoint: string, params: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${endpoint}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (body.status !== "success") throw new Error(`Prometheus ${endpoint} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    logFile,
    query: async (promql) => (await api<{ resultType: string; result: Sample[] }>("query", { query: promql })).result,
    alerts: async () => (await api<{ alerts: ActiveAlert[] }>("alerts")).alerts,
    rules: async () => (await api<{ groups: { rules: RuleHealth[] }[] }>("rules")).groups.flatMap((g) => g.rules),
    targets: async () => (await api<{ activeTargets: { health: string }[] }>("targets")).activeTargets.map((t) => t.health),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
