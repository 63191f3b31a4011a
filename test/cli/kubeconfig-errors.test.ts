import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// A kubeconfig that cannot be used is bad input: the commands that talk to a cluster say which file and
// what to change, and exit non-zero, without a stack trace for the user to read.

const cli = path.resolve(import.meta.dirname, "../../bin/proxy-service.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "cli-kubeconfig-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const notAKubeconfig = path.join(dir, "list.yaml");
writeFileSync(notAKubeconfig, "- a\n- b\n");

describe("a kubeconfig that cannot be used", () => {
  it("makes `restore` exit 2 with the file, the problem and the fix", () => {
    const missing = path.join(dir, "missing");
    const r = spawnSync(process.execPath, [cli, "restore", "--kubeconfig", missing], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`error: ${missing}: cannot be read`);
    expect(r.stderr).toContain("pass an existing kubeconfig file");
    expect(r.stderr).not.toContain("    at ");
  });

  it("makes `run` log one fatal line naming the file and exit 1", () => {
    const r = spawnSync(process.execPath, [cli, "run", "--kubeconfig", notAKubeconfig, "--no-leader-elect", "--metrics-bind-address", "127.0.0.1:0"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    const fatal = `${r.stdout}${r.stderr}`
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: number; err?: { message?: string } })
      .find((l) => l.level === 60);
    expect(fatal?.err?.message).toBe(`${notAKubeconfig}: is not a kubeconfig (a YAML mapping with clusters, users and contexts); pass a kubeconfig file`);
  });
});
