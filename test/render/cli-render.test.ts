import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { RenderInputError, renderFiles } from "../../src/cli/render.js";
import { repoFile } from "./golden.js";

const root = path.resolve(import.meta.dirname, "../..");
const bad = (text: string) => ({ name: "bad.yaml", text });
const psHeader = "apiVersion: msvcbench.io/v1alpha1\nkind: ProxyService\nmetadata:\n  name: ps-s0\n";

function renderError(files: { name: string; text: string }[]): string {
  try {
    renderFiles(files, "default");
  } catch (err) {
    if (err instanceof RenderInputError) return err.message;
    throw err;
  }
  throw new Error("expected a RenderInputError");
}

describe("proxy-service render", () => {
  it("prints every object the operator applies, takeover last, as multi-document YAML", () => {
    const out = renderFiles([repoFile("example/proxy-service-example.yaml"), repoFile("example/sample-app.yaml")], "default");
    const kinds = parseAllDocuments(out).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual([
      "ServiceAccount",
      "Deployment",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "DestinationRule",
      "Gateway",
      "VirtualService",
      "Service",
      "Service",
    ]);
  });

  it("reads the items of a List, as `kubectl get -o yaml` prints them", () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata:\n      name: sn0\n    spec:\n      selector:\n        app: s0\n      ports:\n        - port: 80\n`;
    const out = renderFiles([repoFile("example/proxy-service-example.yaml"), { name: "list.yaml", text: list }], "default");
    expect(out).toContain("proxyservice.msvcbench.io/takeover");
  });

  it("names the file, the field and the fix for a schema error", () => {
    const message = renderError([bad(`${psHeader}spec:\n  serviceName: sn0\n  port: 70000\n`)]);
    expect(message).toContain("bad.yaml");
    expect(message).toContain("spec.port");
    expect(message).toContain("a number from 1 to 65535");
  });

  it("names the file, the field and the fix for a CEL rule", () => {
    const message = renderError([bad(`${psHeader}spec:\n  serviceName: sn0\n  target: sn0\n`)]);
    expect(message).toMatch(/bad\.yaml.*\n.*spec\.target.*remove spec\.target or choose another name/);
  });

  it("refuses spec.leastRequest with a loadBalancer other than LEAST_REQUEST, naming the field and the fix", () => {
    const message = renderError([bad(`${psHeader}spec:\n  serviceName: sn0\n  loadBalancer: ROUND_ROBIN\n  leastRequest:\n    choices: All\n`)]);
    expect(message).toMatch(/bad\.yaml.*\n.*spec\.leastRequest\b.*remove leastRequest or set loadBalancer to LEAST_REQUEST/);
  });

  it("refuses spec.leastRequest.choices outside 2..100 or All, naming the field and the fix", () => {
    const message = renderError([bad(`${psHeader}spec:\n  serviceName: sn0\n  leastRequest:\n    choices: 1\n`)]);
    expect(message).toMatch(/bad\.yaml.*\n.*spec\.leastRequest\.choices.*"All" for a full scan/);
  });

  it("prints the EnvoyFilter after the DestinationRule when choices is not the default", () => {
    const ps = { name: "ps.yaml", text: `${psHeader}spec:\n  serviceName: sn0\n  leastRequest:\n    choices: All\n` };
    const kinds = parseAllDocuments(renderFiles([ps, repoFile("example/sample-app.yaml")], "default")).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds.indexOf("EnvoyFilter")).toBe(kinds.indexOf("DestinationRule") + 1);
  });

  it("names the field and the fix when spec.port is not a port of the given Service", () => {
    const message = renderError([bad(`${psHeader}spec:\n  serviceName: sn0\n  port: 8080\n`), repoFile("example/sample-app.yaml")]);
    expect(message).toContain('bad.yaml: ProxyService "ps-s0": spec.port: Service "sn0" has no port 8080; set spec.port to one of its ports: 80');
  });

  it("says which Service to pass when none is given", () => {
    expect(renderError([repoFile("example/proxy-service-example.yaml")])).toMatch(/TargetServiceMissing.*pass its manifest with -f/);
  });

  it("reports YAML syntax errors with the file", () => {
    expect(renderError([bad("kind: [")])).toMatch(/^bad\.yaml: document 1 is not valid YAML/);
  });

  it("exits 2 on bad input, with the message on stderr", () => {
    const result = spawnSync(process.execPath, ["bin/proxy-service.js", "render", "-f", "example/proxy-service-example.yaml"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("example/proxy-service-example.yaml");
    expect(result.stdout).toBe("");
  }, 60_000); // starts the real executable (tsx, every subcommand) on a shared machine
});
