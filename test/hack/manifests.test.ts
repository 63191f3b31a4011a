import { describe, expect, it } from "vitest";
import { manifestsFrom } from "../../hack/manifests.js";

const doc = (source: string, body: string): string => `---\n# Source: proxy-service-operator/${source}\n${body}\n`;

describe("manifestsFrom (kubernetes/ from `helm template`)", () => {
  it("puts each chart file's objects in its kubernetes/ file, the Namespace first in operator.yaml, without Helm's own labels", () => {
    const files = manifestsFrom(
      doc("templates/serviceaccount.yaml", "kind: ServiceAccount\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: Helm\n    helm.sh/chart: proxy-service-operator-0.1.0\n    app.kubernetes.io/name: x") +
        doc("templates/deployment.yaml", "kind: Deployment") +
        doc("crds/proxyservices.msvcbench.io.yaml", "# Generated\nkind: CustomResourceDefinition"),
    );
    expect([...files.keys()].sort()).toEqual(["crd.yaml", "operator.yaml"]);
    const operator = files.get("operator.yaml")!;
    expect(operator.indexOf("kind: Namespace")).toBeLessThan(operator.indexOf("kind: ServiceAccount"));
    expect(operator.indexOf("kind: ServiceAccount")).toBeLessThan(operator.indexOf("kind: Deployment"));
    expect(operator).not.toMatch(/managed-by|helm\.sh\/chart/);
    expect(operator).toContain("app.kubernetes.io/name: x");
    expect(files.get("crd.yaml")).toBe("# Generated\nkind: CustomResourceDefinition\n");
  });

  it("refuses a chart file it has no place for, so a new template is never left out silently", () => {
    expect(() => manifestsFrom(doc("templates/new-thing.yaml", "kind: ConfigMap"))).toThrow(/templates\/new-thing\.yaml.*FILES/);
  });
});
