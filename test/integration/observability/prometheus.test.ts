import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { chartDir } from "../../../hack/manifests.js";
import { allPanels, exportedSeriesNames, labelValuesSelector, metricNames, withVariables, type Dashboard } from "../../observability/promql.js";
import { waitFor } from "../../support/wait-for.js";
import { helm, ok } from "../install/support.js";
import { useOperator } from "../operator/harness.js";
import { admin, apply, currentAdminKubeConfig, deploySampleApp, metricValue, remove, startOperator, waitReady, waitReason } from "../operator/support.js";
import { createTestNamespace } from "../support/cluster.js";
import { startPrometheus, type PrometheusServer } from "./prometheus.js";

// Issue 20: the chart's alerts and dashboard against a real Prometheus (Debian's server, on loopback) that
// scrapes a real operator (under its own RBAC) running against the local control plane. The rules are the
// chart's rendering of its PrometheusRule, loaded unchanged; Prometheus scrapes and evaluates every second.

/** Istio's metrics that the dashboard reads from the proxies, not from the operator. */
const ISTIO_METRICS = ["istio_requests_total", "istio_request_duration_milliseconds_bucket"];

const read = (file: string): string => readFileSync(path.join(chartDir, file), "utf8");

/** The rule groups of the chart's PrometheusRule, rendered by real Helm where the API is served. */
async function renderedRuleGroups(): Promise<unknown[]> {
  const out = ok(
    await helm([
      "template",
      "proxy-service-operator",
      chartDir,
      "--namespace",
      "proxy-service-system",
      "--api-versions",
      "monitoring.coreos.com/v1/PrometheusRule",
      "--set",
      "prometheusRule.enabled=true",
      "--show-only",
      "templates/prometheusrule.yaml",
    ]),
    "helm template (PrometheusRule)",
  );
  const [rule] = parseAllDocuments(out).map((d) => d.toJSON() as { kind: string; spec: { groups: unknown[] } });
  if (rule?.kind !== "PrometheusRule") throw new Error(`expected a PrometheusRule, got:\n${out}`);
  return rule.spec.groups;
}

describe("alerts and dashboard against a real Prometheus scraping the operator", () => {
  const h = useOperator("obs");
  let prometheus: PrometheusServer;
  let groups: unknown[];
  const PS = "ps-obs";

  beforeAll(async () => {
    groups = await renderedRuleGroups();
    prometheus = await startPrometheus([`127.0.0.1:${h.operator.port}`], groups);
    await waitFor(async () => JSON.stringify(await prometheus.targets()) === '["up"]', {
      timeout: 30_000,
      description: `the operator scraped (Prometheus log: ${prometheus.logFile})`,
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it("loads the chart's rules as the rule file promtool tests, and evaluates every one without error", async () => {
    const file = parse(read("files/prometheus-rules.yaml")) as { groups: unknown[] };
    expect(groups).toEqual(file.groups); // the chart passes them through unchanged (no alertLabels, none disabled)
    const rules = await waitFor(async () => {
      const all = await prometheus.rules();
      return all.length > 0 && all.every((r) => r.health !== "unknown") ? all : undefined;
    }, { description: "every rule evaluated" });
    expect(rules.map((r) => [r.name, r.health, r.lastError ?? ""])).toEqual(rules.map((r) => [r.name, "ok", ""]));
  });

  it("does not find the operator without a leader while it leads", async () => {
    await waitFor(async () => (await prometheus.query('leader_election_master_status{name="proxyservice"} == 1')).length === 1, {
      description: "the leader gauge scraped as 1",
    });
    // Every rule evaluated again after that scrape: the alert's state now reflects a leading operator.
    const scraped = Date.now();
    await waitFor(async () => (await prometheus.rules()).every((r) => Date.parse(r.lastEvaluation) > scraped), { description: "the rules evaluated again" });
    expect((await prometheus.alerts()).filter((a) => a.labels.alertname === "ProxyServiceOperatorNoLeader")).toEqual([]);
  });

  it("a replica without leader election counts as the leader (it reconciles), so ProxyServiceOperatorNoLeader cannot fire for it", async () => {
    const other = await createTestNamespace("obs-solo", currentAdminKubeConfig());
    const solo = await startOperator(h.kubeconfig, other.name, ["--no-leader-elect"]);
    try {
      await waitFor(async () => metricValue(await solo.metrics(), 'leader_election_master_status{name="proxyservice"}') === 1, {
        description: "leader_election_master_status 1 without leader election",
      });
    } finally {
      await solo.stop("SIGTERM");
      await other.cleanup();
    }
  });

  it("ProxyServiceNotReady goes pending with the reason while spec.serviceName does not exist, and clears once it is Ready", async () => {
    const notReady = (): Promise<{ state: string; labels: Record<string, string> }[]> =>
      prometheus.alerts().then((all) => all.filter((a) => a.labels.alertname === "ProxyServiceNotReady" && a.labels.namespace === h.ns));
    const readySeries = async (): Promise<string[]> =>
      (await prometheus.query(`proxy_service_operator_status_condition{namespace="${h.ns}", proxyservice="${PS}", type="Ready"}`)).map(
        (s) => `${s.metric.status}/${s.metric.reason}=${s.value[1]}`,
      );

    // sn0 and sn0-ep do not exist yet: Ready False, TargetServiceMissing.
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: PS }, spec: { serviceName: "sn0", port: 80 } } as never, h.ns);
    await waitReason(h.ns, PS, "TargetServiceMissing");
    const pending = await waitFor(async () => (await notReady()).find((a) => a.state === "pending"), {
      timeout: 30_000,
      description: "ProxyServiceNotReady pending",
    });
    expect(pending.labels).toEqual({ alertname: "ProxyServiceNotReady", severity: "warning", namespace: h.ns, proxyservice: PS, reason: "TargetServiceMissing" });
    expect(await readySeries()).toEqual(["False/TargetServiceMissing=1"]);

    // The application and its Service appear: the operator takes sn0 over once a proxy is Ready.
    await deploySampleApp(h.ns);
    await waitReady(h.ns, PS, 90_000);
    await waitFor(async () => (await notReady()).length === 0, { timeout: 30_000, description: "ProxyServiceNotReady cleared" });
    // The old reason's series is gone (the operator removed it; Prometheus marked it stale), not left at 1 beside Ready.
    await waitFor(async () => JSON.stringify(await readySeries()) === JSON.stringify(["True/Ready=1"]), {
      timeout: 30_000,
      description: "only the Ready=True series",
    });

    // Deleted: every series of the ProxyService goes.
    await remove("msvcbench.io/v1alpha1", "ProxyService", h.ns, PS);
    await waitFor(async () => (await prometheus.query(`proxy_service_operator_status_condition{namespace="${h.ns}", proxyservice="${PS}"}`)).length === 0, {
      timeout: 60_000,
      description: `no series of ${PS} after its deletion`,
    });
  });

  it("ProxyServiceFellBack goes pending when no proxy serves, counts the fallback and the takeover after it, and clears (NotReady stays quiet)", async () => {
    const FB = "ps-fallback";
    const active = (alertname: string): Promise<{ state: string; labels: Record<string, string> }[]> =>
      prometheus.alerts().then((all) => all.filter((a) => a.labels.alertname === alertname && a.labels.proxyservice === FB && a.labels.namespace === h.ns));
    const counter = async (metric: string): Promise<number> =>
      Number((await prometheus.query(`${metric}{namespace="${h.ns}", proxyservice="${FB}"}`))[0]?.value[1] ?? 0);
    const setProxiesUnready = async (unready: boolean): Promise<void> => {
      const pods = await admin.request<{ items: { metadata: { name: string } }[] }>("GET", `/api/v1/namespaces/${h.ns}/pods`, {
        query: { labelSelector: `app.kubernetes.io/instance=${FB},app.kubernetes.io/managed-by=proxy-service-operator` },
      });
      expect(pods.items.length).toBeGreaterThan(0);
      for (const pod of pods.items) {
        await admin.request("PATCH", `/api/v1/namespaces/${h.ns}/pods/${pod.metadata.name}`, {
          body: { metadata: { annotations: { "local-cluster.msvcbench.io/unready": String(unready) } } },
          contentType: "application/merge-patch+json",
        });
      }
    };

    await deploySampleApp(h.ns); // idempotent: the application behind sn1 too
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn1" }, spec: { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: "http" }] } } as never, h.ns);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: FB }, spec: { serviceName: "sn1", port: 80 } } as never, h.ns);
    await waitReady(h.ns, FB, 90_000);

    await setProxiesUnready(true);
    await waitReason(h.ns, FB, "FellBack");
    const pending = await waitFor(async () => (await active("ProxyServiceFellBack")).find((a) => a.state === "pending"), {
      timeout: 30_000,
      description: "ProxyServiceFellBack pending",
    });
    expect(pending.labels).toEqual({ alertname: "ProxyServiceFellBack", severity: "warning", namespace: h.ns, proxyservice: FB });
    await waitFor(async () => (await counter("proxy_service_operator_fallbacks_total")) === 1, { description: "one fallback counted" });
    // FellBack has its own alert: ProxyServiceNotReady stays quiet, also once the rules ran on the FellBack series.
    const seen = Date.now();
    await waitFor(async () => (await prometheus.rules()).every((r) => Date.parse(r.lastEvaluation) > seen), { description: "the rules evaluated again" });
    expect(await active("ProxyServiceNotReady")).toEqual([]);

    await setProxiesUnready(false);
    await waitReady(h.ns, FB, 60_000);
    await waitFor(async () => (await active("ProxyServiceFellBack")).length === 0, { timeout: 30_000, description: "ProxyServiceFellBack cleared" });
    await waitFor(async () => (await counter("proxy_service_operator_retakeovers_total")) === 1, { description: "one takeover after the fallback counted" });
    expect(await counter("proxy_service_operator_fallbacks_total")).toBe(1);
    await remove("msvcbench.io/v1alpha1", "ProxyService", h.ns, FB);
  });

  it("every dashboard query and variable parses, and names only metrics the operator exports (Istio's excepted)", async () => {
    const dashboard = JSON.parse(read("files/grafana-dashboard.json")) as Dashboard;
    const variables = dashboard.templating.list.map((v) => v.name);
    const queries = [
      ...allPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr }))),
      ...dashboard.templating.list
        .filter((v) => v.type === "query")
        .map((v) => ({ where: `variable ${v.name}`, expr: labelValuesSelector(typeof v.query === "string" ? v.query : (v.query?.query ?? "")) })),
    ];
    const exported = exportedSeriesNames(await h.operator.metrics());
    const allowed = new Set([...exported, ...ISTIO_METRICS]);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const promql = withVariables(expr, variables);
      await prometheus.query(promql).catch((err: Error) => problems.push(`${where}: ${err.message}`));
      for (const name of metricNames(promql)) if (!allowed.has(name)) problems.push(`${where}: ${name} is not exported by the operator`);
    }
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThan(25);
  });

  it("the alerts name only metrics the operator exports", async () => {
    const exported = exportedSeriesNames(await h.operator.metrics());
    const rules = (parse(read("files/prometheus-rules.yaml")) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    const missing = rules.flatMap((r) => metricNames(r.expr).filter((n) => !exported.has(n)).map((n) => `${r.alert}: ${n}`));
    expect(missing).toEqual([]);
  });
});
