/**
 * The testbed's backends: R replicas of a small HTTP server in one child process, each with W workers
 * and a FIFO queue. Service time is drawn from a distribution and spent on a timer, not on the CPU,
 * so that the 2-core machine stays far from saturation while the replicas are busy.
 *
 * Run by `startBackends` (fork with an IPC channel); not meant to be started by hand. Every reply
 * carries `x-backend: <index>`, so the load generator can count each replica's share.
 *
 * With `--failing N`, the last N replicas fail fast (a broken dependency, a bad config): they answer
 * a share `--failure-rate` of their requests with 503 after `--failure-ms` instead of serving them.
 * The error goes through the replica's FIFO queue like any request, as in the simulator (src/sim).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseService, seededUniform, serviceSampler } from "./random.js";
import type { BackendStats, FromBackend, ToBackend } from "./backend-protocol.js";

interface Replica {
  index: number;
  server: Server;
  busy: number;
  queue: Array<ServerResponse | undefined>;
  queueHead: number;
  served: number;
  failed: number;
  busyMs: number;
  sample: () => number;
  /** Draws whether the next request fails; always false for a healthy replica. */
  fails: () => boolean;
}

interface BackendArgs {
  replicas: number;
  workers: number;
  meanMs: number;
  service: string;
  seed: number;
  failing: number;
  failureRate: number;
  failureMs: number;
}

function parseArgs(argv: readonly string[]): BackendArgs {
  const get = (flag: string, fallback?: string): string => {
    const i = argv.indexOf(flag);
    const value = i >= 0 ? argv[i + 1] : fallback;
    if (value === undefined) throw new Error(`backend: missing ${flag}`);
    return value;
  };
  return {
    replicas: Number(get("--replicas")),
    workers: Number(get("--workers")),
    meanMs: Number(get("--mean-ms")),
    service: get("--service"),
    seed: Number(get("--seed")),
    failing: Number(get("--failing", "0")),
    failureRate: Number(get("--failure-rate", "1")),
    failureMs: Number(get("--failure-ms", "1")),
  };
}

function startService(replica: Replica, workers: number, failureMs: number, res: ServerResponse): void {
  replica.busy += 1;
  const started = performance.now();
  const fails = replica.fails();
  setTimeout(() => {
    if (fails) {
      replica.failed += 1;
      res.writeHead(503, { "content-type": "text/plain", "content-length": "4", "x-backend": String(replica.index) });
      res.end("fail");
    } else {
      replica.busyMs += performance.now() - started;
      replica.served += 1;
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2", "x-backend": String(replica.index) });
      res.end("ok");
    }
    replica.busy -= 1;
    const next = replica.queue[replica.queueHead];
    if (next !== undefined) {
      replica.queue[replica.queueHead] = undefined;
      replica.queueHead += 1;
      if (replica.queueHead > 1024 && replica.queueHead * 2 > replica.queue.length) {
        replica.queue = replica.queue.slice(replica.queueHead);
        replica.queueHead = 0;
      }
      startService(replica, workers, failureMs, next);
    }
  }, fails ? failureMs : replica.sample());
}

function handle(replica: Replica, args: BackendArgs, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (replica.busy < args.workers) startService(replica, args.workers, args.failureMs, res);
  else replica.queue.push(res);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const distribution = parseService(args.service);
  const replicas: Replica[] = [];
  for (let index = 0; index < args.replicas; index++) {
    const sample = serviceSampler(distribution, args.meanMs, seededUniform(args.seed * 7919 + index));
    const failing = index >= args.replicas - args.failing;
    const failureDraw = seededUniform(args.seed * 104729 + index);
    const fails = failing ? (): boolean => failureDraw() < args.failureRate : (): boolean => false;
    const replica: Replica = { index, server: createServer(), busy: 0, queue: [], queueHead: 0, served: 0, failed: 0, busyMs: 0, sample, fails };
    // Idle keep-alive connections must outlive HAProxy's, or a reused connection can race a close (502).
    replica.server.keepAliveTimeout = 300_000;
    replica.server.headersTimeout = 310_000;
    replica.server.on("request", (req, res) => handle(replica, args, req, res));
    await new Promise<void>((resolve) => replica.server.listen(0, "127.0.0.1", resolve));
    replicas.push(replica);
  }
  const send = (message: FromBackend): void => {
    process.send?.(message);
  };
  process.on("message", (raw: ToBackend) => {
    if (raw.type === "stats") {
      const stats: BackendStats = {
        served: replicas.map((r) => r.served),
        failed: replicas.map((r) => r.failed),
        busyMs: replicas.map((r) => r.busyMs),
        queued: replicas.map((r) => r.queue.length - r.queueHead),
      };
      send({ type: "stats", stats });
    }
  });
  // The parent owns our lifetime: when its IPC channel closes (it exited or was killed), we go too.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", ports: replicas.map((r) => (r.server.address() as AddressInfo).port) });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
