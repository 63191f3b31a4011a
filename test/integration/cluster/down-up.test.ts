import { existsSync, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive, PrivateCluster } from "./local-cluster.js";

// Acceptance 7 of issue 2: `down` leaves no process and no listening port behind, and `up` after
// `down` works; `up` is idempotent. On a private cluster, so the shared one is never torn down
// under another test run.

const cluster = new PrivateCluster();

beforeAll(async () => {
  await cluster.up();
});
afterAll(async () => {
  await cluster.destroy();
});

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("down and up", () => {
  it("up on a running cluster only prints the export line", async () => {
    const started = Date.now();
    const up = await cluster.run("up");
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toBe(`export KUBECONFIG=${path.join(cluster.stateDir, "kubeconfig")}\n`);
    expect(up.stderr).toBe("");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("down stops every process and frees every port; up after down works", async () => {
    const pids = cluster.pids();
    const ports = cluster.ports();
    for (const [name, pid] of Object.entries(pids)) expect(isAlive(pid), `${name} (pid ${pid})`).toBe(true);
    for (const [name, port] of Object.entries(ports)) expect(await isListening(port), `${name} port ${port}`).toBe(true);

    const down = await cluster.run("down");
    expect(down.code, down.stderr).toBe(0);
    for (const [name, pid] of Object.entries(pids)) expect(isAlive(pid), `${name} (pid ${pid})`).toBe(false);
    for (const [name, port] of Object.entries(ports)) expect(await isListening(port), `${name} port ${port}`).toBe(false);
    // Nothing of the state is left but the lock file (the binary lives in the shared cluster's bin/).
    expect(readdirSync(cluster.stateDir).filter((name) => name !== ".lock")).toEqual([]);
    expect((await cluster.run("status")).code).not.toBe(0);

    const up = await cluster.up();
    const lines = up.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(`export KUBECONFIG=${path.join(cluster.stateDir, "kubeconfig")}`);
    expect(existsSync(path.join(cluster.stateDir, "kubeconfig"))).toBe(true);
    const status = await cluster.run("status");
    expect(status.code, status.stdout + status.stderr).toBe(0);
    for (const pid of Object.values(cluster.pids())) expect(isAlive(pid)).toBe(true);
  }, 300_000); // a down and a whole up, whose own limit (100 s) is what should report a failure
});
