// kubernetes/ from the chart (issue 11): `helm template` of the default values, split into the files
// users of `kubectl apply -f kubernetes/` know. Shared by hack/gen-manifests.ts (writes them) and
// test/integration/install/chart.test.ts (fails when the committed files differ; test/hack/manifests.test.ts tests the split).
import { execFileSync } from "node:child_process";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "..");
export const chartDir = path.join(repoRoot, "charts/proxy-service-operator");
export const RELEASE = "proxy-service-operator";
export const NAMESPACE = "proxy-service-system";

const header = (what: string): string =>
  `# Generated from charts/proxy-service-operator (default values) by \`npx tsx hack/gen-manifests.ts\`: do not edit by hand.\n# ${what}\n`;

// `kubectl apply -f kubernetes/` applies files alphabetically: the Namespace leads operator.yaml so that it
// exists before the objects in it. Helm charts leave the namespace to `--create-namespace`, so it is
// written here rather than in the chart.
const namespace = `apiVersion: v1
kind: Namespace
metadata:
  name: ${NAMESPACE}
  labels:
    app.kubernetes.io/name: proxy-service-operator
    app.kubernetes.io/part-of: proxy-service-operator
    # Namespaces that only run trusted, hardened pods can enforce the restricted profile.
    pod-security.kubernetes.io/enforce: restricted
`;

/** Which kubernetes/ file each chart file's objects go to, in this order within the file. */
const FILES: Record<string, { file: string; what: string }> = {
  "templates/clusterrole.yaml": { file: "cluster-role.yaml", what: "The operator's ClusterRole: its rules are in the chart's templates/_rules.tpl." },
  "templates/clusterrolebinding.yaml": { file: "cluster-role-binding.yaml", what: "Binds the ClusterRole to the operator's ServiceAccount." },
  "templates/serviceaccount.yaml": { file: "operator.yaml", what: "The operator: its Namespace, ServiceAccount, Deployment and metrics Service." },
  "templates/deployment.yaml": { file: "operator.yaml", what: "" },
  "templates/service.yaml": { file: "operator.yaml", what: "" },
  "templates/poddisruptionbudget.yaml": { file: "operator.yaml", what: "" },
};

/** Runs `hack/helm.sh template` with the default values (CRDs included). */
export function helmTemplate(): string {
  return execFileSync(
    path.join(repoRoot, "hack/helm.sh"),
    ["template", RELEASE, chartDir, "--namespace", NAMESPACE, "--include-crds"],
    { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 << 20 },
  );
}

/**
 * The files of kubernetes/ (name -> text) from `helm template` output. Pure. The CRD is written as the
 * chart's crds/ file is (it is src/api/schema.ts's, see hack/gen-crd.ts); Helm's own labels
 * (managed-by, helm.sh/chart) are dropped, since these objects are not managed by Helm.
 * Throws on a chart file it does not know, so a new template cannot be left out silently.
 */
export function manifestsFrom(rendered: string): Map<string, string> {
  const parts = new Map<string, string[]>();
  for (const doc of rendered.split(/^---\n/m)) {
    const source = /^# Source: proxy-service-operator\/(.+)$/m.exec(doc)?.[1];
    if (!source) continue;
    const body = doc
      .replace(/^# Source: .*\n/m, "")
      .split("\n")
      .filter((line) => !/^\s+(app\.kubernetes\.io\/managed-by: Helm|helm\.sh\/chart: .*)$/.test(line))
      .join("\n")
      .trim();
    if (source.startsWith("crds/")) {
      parts.set("crd.yaml", [body]);
      continue;
    }
    const target = FILES[source];
    if (!target) throw new Error(`chart file ${source} has no place in kubernetes/: add it to FILES in hack/manifests.ts`);
    parts.set(target.file, [...(parts.get(target.file) ?? []), body]);
  }
  const files = new Map<string, string>();
  for (const [file, docs] of parts) {
    if (file === "crd.yaml") {
      files.set(file, `${docs[0]}\n`);
      continue;
    }
    const what = Object.values(FILES).find((f) => f.file === file && f.what)?.what ?? "";
    const all = file === "operator.yaml" ? [namespace.trim(), ...docs] : docs;
    files.set(file, header(what) + all.join("\n---\n") + "\n");
  }
  return files;
}
