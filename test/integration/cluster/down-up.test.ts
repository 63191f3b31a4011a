import { existsSync, readdirSync } from "node:fs";
import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, localCluster, recordedPids, recordedPorts, stateDir } from "./local-cluster.js";

// Acceptance 7 of issue 2: `down` leaves no process and no listening port behind, and `up` after
// `down` works. `up` is idempotent. The file ends with the cluster up, for the files after it.

afterAll(async () => {
  await localCluster("up");
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
    const up = await localCluster("up");
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toBe(`export KUBECONFIG=${stateDir}/kubeconfig\n`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("down stops every process and frees every port; up after down works", async () => {
    const pids = recordedPids();
    const ports = recordedPorts();
    for (const pid of Object.values(pids)) expect(isAlive(pid)).toBe(true);
    for (const [name, port] of Object.entries(ports)) expect(await isListening(port), `${name} port ${port}`).toBe(true);

    const down = await localCluster("down");
    expect(down.code, down.stderr).toBe(0);
    for (const [name, pid] of Object.entries(pids)) expect(isAlive(pid), `${name} (pid ${pid})`).toBe(false);
    for (const [name, port] of Object.entries(ports)) expect(await isListening(port), `${name} port ${port}`).toBe(false);
    expect(readdirSync(stateDir)).toEqual(["bin"]);
    expect((await localCluster("status")).code).not.toBe(0);

    const up = await localCluster("up");
    expect(up.code, up.stderr).toBe(0);
    const lines = up.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(`export KUBECONFIG=${stateDir}/kubeconfig`);
    expect(existsSync(`${stateDir}/kubeconfig`)).toBe(true);
    const status = await localCluster("status");
    expect(status.code, status.stdout + status.stderr).toBe(0);
    for (const pid of Object.values(recordedPids())) expect(isAlive(pid)).toBe(true);
  });
});
