/** Starts the backend process (see backend.ts) and talks to it over IPC. */
import { fork } from "node:child_process";
import { type AddressInfo, createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import type { BackendStats, FromBackend } from "./backend-protocol.js";
import { stopChild, track } from "./children.js";

export interface BackendOptions {
  replicas: number;
  workers: number;
  meanMs: number;
  /** `exp`, `det` or `lognormal[:cv]`. */
  service: string;
  seed: number;
  /** The last `count` replicas answer a share `rate` of their requests with 503 after `ms`. */
  failing?: { count: number; rate: number; ms: number };
}

export interface RunningBackends {
  pid: number;
  ports: number[];
  stats(): Promise<BackendStats>;
  stop(): Promise<void>;
}

const BACKEND_MODULE = fileURLToPath(new URL("./backend.ts", import.meta.url));

/** Forks the backend process and resolves once its replicas listen. */
export async function startBackends(options: BackendOptions): Promise<RunningBackends> {
  const args = [
    "--replicas", String(options.replicas),
    "--workers", String(options.workers),
    "--mean-ms", String(options.meanMs),
    "--service", options.service,
    "--seed", String(options.seed),
    ...(options.failing === undefined ? [] : ["--failing", String(options.failing.count), "--failure-rate", String(options.failing.rate), "--failure-ms", String(options.failing.ms)]),
  ];
  // tsx as a loader, so that the child runs the TypeScript source like the parent does.
  const child = track(fork(BACKEND_MODULE, args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  const pending: Array<(stats: BackendStats) => void> = [];
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("backend process did not start within 20 s")), 20_000);
    child.once("exit", (code) => reject(new Error(`backend process exited with code ${code} before it was ready`)));
    child.on("message", (message: FromBackend) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.ports);
      } else if (message.type === "stats") {
        pending.shift()?.(message.stats);
      }
    });
  }).catch(async (err: unknown) => {
    await stopChild(child);
    throw err;
  });
  // Scheduling (see children.ts) is inherited from this process.
  if (child.pid === undefined) throw new Error("backend process started without a pid");
  return {
    pid: child.pid,
    ports,
    stats: () =>
      new Promise<BackendStats>((resolve) => {
        pending.push(resolve);
        child.send({ type: "stats" });
      }),
    stop: () => stopChild(child),
  };
}

/** Finds `count` free TCP ports on 127.0.0.1 (bind to port 0, note the port, close). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<Server>((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
