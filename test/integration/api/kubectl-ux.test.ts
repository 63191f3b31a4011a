import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProxyServiceSpecSchema, plainSchema } from "../../../src/api/schema.js";
import { createTestNamespace } from "../support/cluster.js";
import { installCrd, kubectl } from "./support.js";

/** Every field path under spec, e.g. `spec.autoscaling.minReplicas`, with its description. */
function specFields(): { path: string; description: string }[] {
  const out: { path: string; description: string }[] = [];
  const walk = (node: Record<string, unknown>, path: string): void => {
    out.push({ path, description: String(node.description ?? "") });
    const items = node.items as Record<string, unknown> | undefined;
    const properties = (node.properties ?? items?.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [key, child] of Object.entries(properties)) walk(child, `${path}.${key}`);
  };
  walk(plainSchema(ProxyServiceSpecSchema), "spec");
  return out;
}

describe("kubectl and ProxyServices", () => {
  let namespace: { name: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    installCrd();
    namespace = await createTestNamespace("api-ux");
  });
  afterAll(async () => {
    await namespace.cleanup();
  });

  it("`kubectl get ps` shows NAME, SERVICE, TARGET, LB, READY, PROXIES and AGE, and -o wide the global view", () => {
    expect(kubectl(["apply", "-n", namespace.name, "-f", "example/proxy-service-example.yaml"]).code).toBe(0);
    const got = kubectl(["get", "ps", "-n", namespace.name]);
    expect(got.code).toBe(0);
    const [header, row] = got.stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual(["NAME", "SERVICE", "TARGET", "LB", "READY", "PROXIES", "AGE"]);
    expect(row).toMatch(/^ps-s0\s+sn0\s+.*LEAST_REQUEST/);
    const wide = kubectl(["get", "proxyservices", "-n", namespace.name, "-o", "wide"]);
    expect(wide.stdout.split("\n")[0]).toContain("GLOBAL-VIEW");
  });

  it.each(specFields())("`kubectl explain ps.$path` prints its description", ({ path, description }) => {
    const explained = kubectl(["explain", `ps.${path}`]);
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stdout).toContain("DESCRIPTION");
    // kubectl wraps long descriptions; compare the first words.
    const words = description.split(/\s+/).slice(0, 4).join(" ");
    expect(explained.stdout.replace(/\s+/g, " ")).toContain(words);
  });
});
