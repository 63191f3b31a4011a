import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allPanels, type Dashboard } from "./promql.js";

// The promises around the alerts that promtool cannot check: every alert is tested both ways, documented,
// and named by the chart's schema; the dashboard's panels all query the data source the user picks.

const root = path.resolve(import.meta.dirname, "../..");
const read = (file: string): string => readFileSync(path.join(root, file), "utf8");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parse(read("charts/proxy-service-operator/files/prometheus-rules.yaml")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alerts = rules.map((r) => r.alert);

interface AlertTest {
  alertname: string;
  exp_alerts: unknown[];
}
const cases = (parse(read("test/observability/prometheus-rules.test.yaml")) as { tests: { alert_rule_test: AlertTest[] }[] }).tests.flatMap((t) => t.alert_rule_test);

describe("charts/proxy-service-operator/files/prometheus-rules.yaml", () => {
  it("has alerts only, each with a severity, a summary and a description", () => {
    expect(alerts.length).toBeGreaterThanOrEqual(7);
    for (const r of rules) {
      expect(r.alert, r.expr).toMatch(/^ProxyService[A-Za-z]+$/);
      expect(["critical", "warning", "info"], r.alert).toContain(r.labels?.severity);
      expect(Object.keys(r.annotations ?? {}).sort(), r.alert).toEqual(["description", "summary"]);
    }
  });

  it("has a promtool case where each alert fires and one where it must not", () => {
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${alert} fires in some case`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${alert} stays quiet in some case`).toBe(true);
    }
    expect(cases.map((c) => c.alertname).filter((a) => !alerts.includes(a))).toEqual([]);
  });

  it("documents every alert in docs/operator.md's alerts table", () => {
    const docs = read("docs/operator.md");
    for (const alert of alerts) expect(docs, alert).toMatch(new RegExp(`^\\| \`${alert}\` \\|`, "m"));
  });

  it("is what the chart's schema allows in prometheusRule.disabledAlerts", () => {
    const schema = JSON.parse(read("charts/proxy-service-operator/values.schema.json")) as {
      properties: { prometheusRule: { properties: { disabledAlerts: { items: { enum: string[] } } } } };
    };
    expect(schema.properties.prometheusRule.properties.disabledAlerts.items.enum).toEqual(alerts);
  });
});

describe("charts/proxy-service-operator/files/grafana-dashboard.json", () => {
  const dashboard = JSON.parse(read("charts/proxy-service-operator/files/grafana-dashboard.json")) as Dashboard;
  const panels = allPanels(dashboard);

  it("queries the data source the user picks in every panel, with unique ids, on a 24-column grid", () => {
    expect(dashboard.uid).toBe("proxy-service-operator");
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((p) => p.type !== "row")) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe("${datasource}");
      for (const t of p.targets ?? []) expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe("${datasource}");
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it("has the panels the issue asks for: readiness, takeovers and fallbacks, reconciles, errors, latency, work queue, Istio", () => {
    const exprs = panels.flatMap((p) => p.targets ?? []).map((t) => t.expr).join("\n");
    for (const metric of [
      "proxy_service_operator_status_condition",
      "proxy_service_operator_fallbacks_total",
      "proxy_service_operator_retakeovers_total",
      "controller_runtime_reconcile_total",
      "controller_runtime_reconcile_errors_total",
      "controller_runtime_reconcile_time_seconds_bucket",
      "workqueue_depth",
      "istio_requests_total",
      "istio_request_duration_milliseconds_bucket",
    ]) {
      expect(exprs, metric).toContain(metric);
    }
  });
});
