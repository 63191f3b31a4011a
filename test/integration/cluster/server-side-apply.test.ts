import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { adminKubeconfigPath, useTestNamespace } from "../support/cluster.js";
import { repoRoot, run } from "./local-cluster.js";

// Acceptance 5 of issue 2: `kubectl apply --server-side` works, and a second field manager that
// applies the same field with another value gets a conflict. Both with the kubectl of the cluster's
// own release (`hack/local-cluster.sh kubectl`) and, when installed, the machine's kubectl.

const ns = useTestNamespace("lc-ssa");

const bundled = [path.join(repoRoot, "hack/local-cluster.sh"), "kubectl"];
const system = "/usr/bin/kubectl";

function configMap(name: string, color: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  color: ${color}\n`;
}

async function apply(kubectl: string[], manifest: string, manager: string) {
  const [command, ...prefix] = kubectl;
  return run(command!, [
    ...prefix,
    "--kubeconfig",
    adminKubeconfigPath,
    "apply",
    "--server-side",
    `--field-manager=${manager}`,
    "-n",
    ns.name,
    "-f",
    "-",
  ], { input: manifest });
}

describe.each([
  { name: "the bundled kubectl", kubectl: bundled, present: true },
  { name: "the machine's kubectl", kubectl: [system], present: existsSync(system) },
])("kubectl apply --server-side with $name", ({ kubectl, present }) => {
  it.skipIf(!present)("applies, and reports a conflict when another field manager sets the same field", async () => {
    const name = `color-${path.basename(kubectl[0]!).replace(/\W/g, "")}`;
    const first = await apply(kubectl, configMap(name, "blue"), "alice");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`configmap/${name} serverside-applied`);

    const again = await apply(kubectl, configMap(name, "blue"), "alice");
    expect(again.code, again.stderr).toBe(0);

    const conflict = await apply(kubectl, configMap(name, "red"), "bob");
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/conflict/i);
    expect(conflict.stderr).toContain('"alice"');
    expect(conflict.stderr).toContain(".data.color");

    const get = await run(kubectl[0]!, [
      ...kubectl.slice(1),
      "--kubeconfig",
      adminKubeconfigPath,
      "get",
      "configmap",
      name,
      "-n",
      ns.name,
      "-o",
      "jsonpath={.data.color}",
    ]);
    expect(get.stdout).toBe("blue");
  });
});
