import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { chartDir, helmTemplate, manifestsFrom } from "../../../hack/manifests.js";
import { repoRoot } from "../operator/support.js";
import { helm, ok } from "./support.js";

// The chart, checked with real Helm (hack/helm.sh builds it from its Go module). Golden files are
// `helm template` output: UPDATE_GOLDEN=1 rewrites them, and reviewers read the YAML diff.

const testdata = path.join(import.meta.dirname, "testdata");
const CASES: Record<string, string[]> = {
  default: [],
  namespaced: [],
  ha: ["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"],
  "custom-image": [],
};

const render = async (values: string, extra: string[] = []): Promise<string> =>
  ok(
    await helm(["template", "proxy-service-operator", chartDir, "--namespace", "proxy-service-system", "-f", path.join(testdata, `${values}.values.yaml`), ...extra]),
    `helm template ${values}`,
  );

type Doc = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown>; rules?: unknown[] };
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

  it("renders a PodDisruptionBudget only with more than one replica, and a ServiceMonitor only where its API is served", async () => {
    expect(kinds(await render("default"))).not.toContainEqual(expect.stringMatching(/^PodDisruptionBudget/));
    const ha = kinds(await render("ha", CASES.ha));
    expect(ha).toContain("PodDisruptionBudget/proxy-service-system/proxy-service-operator");
    expect(ha).toContain("ServiceMonitor/proxy-service-system/proxy-service-operator");
    expect(kinds(await render("ha"))).not.toContainEqual(expect.stringMatching(/^ServiceMonitor/));
  });

  it("fails at install time on a wrong value, naming the field", async () => {
    for (const [set, field] of [
      ["replicaCount=two", "/replicaCount"],
      ["logLevel=verbose", "/logLevel"],
      ["logFormat=yaml", "/logFormat"],
      ["image.digest=latest", "/image/digest"],
      ["watchNamespaces[0]=Shop", "/watchNamespaces/0"],
      ["imageTag=1.0", "imageTag"],
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
