import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { chartDir, helmTemplate, manifestsFrom } from "../../../hack/manifests.js";
import { readYaml, repoRoot } from "../operator/support.js";
import { helm, ok } from "./support.js";

// The chart, checked with real Helm (hack/helm.sh builds it from its Go module). Golden files are
// `helm template` output: UPDATE_GOLDEN=1 rewrites them, and reviewers read the YAML diff.

const testdata = path.join(import.meta.dirname, "testdata");
const CASES: Record<string, string[]> = {
  default: [],
  namespaced: [],
  ha: ["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"],
  "custom-image": [],
  single: [],
  monitoring: ["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor", "--api-versions", "monitoring.coreos.com/v1/PrometheusRule"],
};

const render = async (values: string, extra: string[] = []): Promise<string> =>
  ok(
    await helm(["template", "proxy-service-operator", chartDir, "--namespace", "proxy-service-system", "-f", path.join(testdata, `${values}.values.yaml`), ...extra]),
    `helm template ${values}`,
  );

type Doc = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: unknown[];
  data?: Record<string, string>;
};
const docs = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJSON() as Doc).filter(Boolean);
const kinds = (text: string): string[] => docs(text).map((d) => `${d.kind}/${d.metadata.namespace ? `${d.metadata.namespace}/` : ""}${d.metadata.name}`);

describe("charts/proxy-service-operator", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "pso-chart-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("passes `helm lint --strict` with each values file", async () => {
    for (const values of Object.keys(CASES)) {
      const r = await helm(["lint", "--strict", chartDir, "-f", path.join(testdata, `${values}.values.yaml`)]);
      expect(r.code, `${values}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  for (const [values, extra] of Object.entries(CASES)) {
    it(`renders testdata/${values}.golden.yaml`, async () => {
      const actual = await render(values, extra);
      const file = path.join(testdata, `${values}.golden.yaml`);
      if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
        writeFileSync(file, actual);
        if (process.env.UPDATE_GOLDEN !== "1") throw new Error(`${file} did not exist and was written; check it and run again`);
      }
      expect(actual).toBe(readFileSync(file, "utf8"));
    });
  }

  it("kubernetes/ is `helm template` of the default values (run `npx tsx hack/gen-manifests.ts` when this fails)", () => {
    for (const [file, text] of manifestsFrom(helmTemplate())) {
      expect(readFileSync(path.join(repoRoot, "kubernetes", file), "utf8"), `kubernetes/${file}`).toBe(text);
    }
  });

  it("the ClusterRole and the namespaced Roles carry the same rules, from one template", async () => {
    const cluster = docs(await render("default")).find((d) => d.kind === "ClusterRole")!;
    const namespaced = docs(await render("namespaced"));
    expect(namespaced.map((d) => d.kind)).not.toContain("ClusterRole");
    const roles = namespaced.filter((d) => d.kind === "Role");
    expect(roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort()).toEqual(
      ["payments/proxy-service-role", "proxy-service-system/proxy-service-leader-election", "shop/proxy-service-role"],
    );
    const union = [...roles.find((r) => r.metadata.namespace === "shop")!.rules!, ...roles.find((r) => r.metadata.name.endsWith("leader-election"))!.rules!];
    expect(union).toEqual(cluster.rules);
    const args = (namespaced.find((d) => d.kind === "Deployment")!.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args;
    expect(args).toContain("--namespace=shop,payments");
  });

  it("renders a PodDisruptionBudget only with more than one replica (the default is two), and a ServiceMonitor only where its API is served", async () => {
    expect(kinds(await render("single"))).not.toContainEqual(expect.stringMatching(/^PodDisruptionBudget/));
    expect(kinds(await render("default"))).toContain("PodDisruptionBudget/proxy-service-system/proxy-service-operator");
    const ha = kinds(await render("ha", CASES.ha));
    expect(ha).toContain("PodDisruptionBudget/proxy-service-system/proxy-service-operator");
    expect(ha).toContain("ServiceMonitor/proxy-service-system/proxy-service-operator");
    expect(kinds(await render("ha"))).not.toContainEqual(expect.stringMatching(/^ServiceMonitor/));
  });

  it("renders the PrometheusRule only where its API is served, and the dashboard ConfigMap only when asked", async () => {
    expect(kinds(await render("default"))).not.toContainEqual(expect.stringMatching(/^(PrometheusRule|ConfigMap)/));
    const monitoring = kinds(await render("monitoring", CASES.monitoring));
    expect(monitoring).toContain("PrometheusRule/proxy-service-system/proxy-service-operator");
    expect(monitoring).toContain("ConfigMap/monitoring/proxy-service-operator-dashboard");
    const withoutApi = kinds(await render("monitoring"));
    expect(withoutApi).not.toContainEqual(expect.stringMatching(/^(PrometheusRule|ServiceMonitor)/));
    expect(withoutApi).toContain("ConfigMap/monitoring/proxy-service-operator-dashboard");
  });

  it("gives every alert prometheusRule.alertLabels beside its own, and leaves out prometheusRule.disabledAlerts", async () => {
    type Rule = { alert: string; labels: Record<string, string> };
    const source = (parse(readFileSync(path.join(chartDir, "files/prometheus-rules.yaml"), "utf8")) as { groups: { rules: Rule[] }[] }).groups[0]!.rules;
    const rule = docs(await render("monitoring", CASES.monitoring)).find((d) => d.kind === "PrometheusRule")!;
    const rendered = (rule.spec as { groups: { rules: Rule[] }[] }).groups[0]!.rules;
    expect(rendered.map((r) => r.alert)).toEqual(source.map((r) => r.alert).filter((a) => a !== "ProxyServiceGlobalViewLost"));
    for (const r of rendered) expect(r.labels, r.alert).toEqual({ team: "platform", severity: source.find((s) => s.alert === r.alert)!.labels.severity });
    expect(rule.metadata.labels?.release).toBe("prometheus");
  });

  it("puts files/grafana-dashboard.json unchanged in a ConfigMap labelled for Grafana's sidecar", async () => {
    const cm = docs(await render("monitoring")).find((d) => d.kind === "ConfigMap")!;
    expect(cm.metadata.labels?.grafana_dashboard).toBe("1");
    expect(cm.metadata.annotations).toEqual({ grafana_folder: "ProxyServices" });
    expect(cm.data?.["proxy-service-operator.json"]).toBe(readFileSync(path.join(chartDir, "files/grafana-dashboard.json"), "utf8").trimEnd());
  });

  it("has Artifact Hub's metadata: the image the default values install, the CRD, and the published example", async () => {
    const chart = parse(ok(await helm(["show", "chart", chartDir]), "helm show chart")) as { kubeVersion: string; annotations: Record<string, string> };
    expect(chart.kubeVersion).toMatch(/^>=1\.\d+/);
    const a = chart.annotations;
    expect(a["artifacthub.io/license"]).toBe(JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).license);
    const deployment = docs(await render("default")).find((d) => d.kind === "Deployment")!;
    const image = (deployment.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
    expect(parse(a["artifacthub.io/images"]!)).toEqual([{ name: "proxy-service-operator", image }]);
    const crd = parse(readFileSync(path.join(chartDir, "crds/proxyservices.msvcbench.io.yaml"), "utf8")) as {
      metadata: { name: string };
      spec: { names: { kind: string }; versions: { name: string }[] };
    };
    expect(parse(a["artifacthub.io/crds"]!)).toEqual([
      expect.objectContaining({ kind: crd.spec.names.kind, name: crd.metadata.name, version: crd.spec.versions[0]!.name }),
    ]);
    expect(parse(a["artifacthub.io/crdsExamples"]!)).toEqual(readYaml("example/proxy-service-example.yaml"));
    for (const link of parse(a["artifacthub.io/links"]!) as { name: string; url: string }[]) expect(link.url, link.name).toMatch(/^https:\/\//);
    expect((parse(a["artifacthub.io/changes"]!) as { kind: string }[]).map((c) => c.kind)).toContain("added");
  });

  it("fails at install time on a wrong value, naming the field", async () => {
    for (const [set, field] of [
      ["replicaCount=two", "/replicaCount"],
      ["logLevel=verbose", "/logLevel"],
      ["logFormat=yaml", "/logFormat"],
      ["image.digest=latest", "/image/digest"],
      ["watchNamespaces[0]=Shop", "/watchNamespaces/0"],
      ["imageTag=1.0", "imageTag"],
      ["prometheusRule.disabledAlerts[0]=ProxyServiceTypo", "/prometheusRule/disabledAlerts/0"],
      ["grafanaDashboard.namespace=Monitoring", "/grafanaDashboard/namespace"],
    ] as const) {
      const r = await helm(["template", "x", chartDir, "--set", set]);
      expect(r.code, set).not.toBe(0);
      expect(r.stderr, set).toContain(field);
    }
  });

  it("`helm package` produces an archive that renders as the folder does", async () => {
    const out = ok(await helm(["package", chartDir, "--destination", scratch]), "helm package");
    const archive = path.join(scratch, "proxy-service-operator-0.1.0.tgz");
    expect(out).toContain(archive);
    const fromArchive = ok(await helm(["template", "proxy-service-operator", archive, "--namespace", "proxy-service-system", "--include-crds"]), "helm template archive");
    expect(fromArchive).toBe(helmTemplate());
  });
});
