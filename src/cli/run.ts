import { Command, InvalidArgumentError, Option } from "commander";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setFlagsFromString } from "node:v8";
import { pino } from "pino";
import { runOperator, CONTROLLER_NAME } from "../controller/operator.js";
import { loadConnection } from "../kube/connection.js";
import { createMeanLatencyPredictor } from "./balancing-predictor.js";
import { textDestination } from "./log-format.js";

interface RunFlags {
  kubeconfig?: string;
  namespace?: string;
  concurrency: number;
  metricsBindAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  resync: number;
  logLevel: string;
  logFormat: "json" | "text";
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
};
const seconds = (value: string): number => {
  const n = Number(value.replace(/s$/, ""));
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected seconds, e.g. 15 or 15s");
  return n;
};

/** `proxy-service run`: the operator, in a pod (its service account) or outside a cluster (--kubeconfig). */
export function runCommand(): Command {
  return new Command("run")
    .description("run the operator: reconcile ProxyServices until SIGTERM")
    .option("--kubeconfig <file>", "kubeconfig to use (default: in-cluster service account, else $KUBECONFIG or ~/.kube/config)")
    .option("--namespace <names>", "watch only these namespaces, comma-separated (default: all namespaces)")
    .addOption(new Option("--concurrency <n>", "ProxyServices reconciled in parallel").default(4).argParser(positiveInt))
    .option("--metrics-bind-address <host:port>", "where /metrics, /healthz and /readyz are served", ":8080")
    .option("--no-leader-elect", "run without leader election (only safe with a single replica)")
    .addOption(
      new Option("--leader-election-namespace <ns>", "namespace of the leader Lease").default(
        process.env.POD_NAMESPACE ?? "proxy-service-system",
        "$POD_NAMESPACE, else proxy-service-system",
      ),
    )
    .option("--leader-election-id <name>", "name of the leader Lease", "proxy-service-operator")
    .addOption(new Option("--lease-duration <seconds>", "how long a Lease is good for without renewal").default(15).argParser(seconds))
    .addOption(new Option("--renew-deadline <seconds>", "give up leadership after failing to renew for this long").default(10).argParser(seconds))
    .addOption(new Option("--retry-period <seconds>", "how often to try to acquire or renew the Lease").default(2).argParser(seconds))
    .addOption(new Option("--resync <seconds>", "reconcile every ProxyService this often even without events").default(600).argParser(seconds))
    .addOption(new Option("--log-level <level>", "log level").choices(["debug", "info", "warn", "error"]).default("info"))
    .addOption(new Option("--log-format <format>", "JSON lines, or text for people").choices(["json", "text"]).default("json"))
    .action(async (flags: RunFlags) => {
      // V8 grows the heap less between collections and gives memory back sooner: creating 1,000 ProxyServices
      // peaked 21 MiB lower for about 13 % more CPU (issue 17, docs/operator.md "Caches"). Set here, not in the image's
      // command line, so that every way of running the operator (image, chart, benchmarks, tests) gets it;
      // V8 reads this flag at each collection.
      setFlagsFromString("--optimize-for-size");
      const options = { level: flags.logLevel, base: { controller: CONTROLLER_NAME } };
      const log = flags.logFormat === "text" ? pino(options, textDestination()) : pino(options);
      const identity = `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString("hex")}`;
      const abort = new AbortController();
      for (const sig of ["SIGTERM", "SIGINT"] as const) {
        process.once(sig, () => {
          log.info({ signal: sig }, "shutting down");
          abort.abort();
        });
      }
      try {
        await runOperator(
          {
            connection: loadConnection(flags.kubeconfig),
            ...(flags.namespace ? { namespaces: flags.namespace.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
            concurrency: flags.concurrency,
            metricsAddress: parseAddress(flags.metricsBindAddress),
            ...(flags.leaderElect
              ? {
                  leaderElection: {
                    namespace: flags.leaderElectionNamespace,
                    name: flags.leaderElectionId,
                    leaseDurationMs: flags.leaseDuration * 1000,
                    renewDeadlineMs: flags.renewDeadline * 1000,
                    retryPeriodMs: flags.retryPeriod * 1000,
                  },
                }
              : {}),
            identity,
            resyncMs: flags.resync * 1000,
            log,
            predict: createMeanLatencyPredictor(),
          },
          abort.signal,
        );
        log.info("stopped");
        process.exit(0);
      } catch (err) {
        log.fatal({ err }, "operator stopped");
        process.exit(1);
      }
    });
}

function parseAddress(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(":");
  const port = Number(value.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`--metrics-bind-address ${value}: expected host:port, e.g. :8080 or 127.0.0.1:8080`);
  }
  return { host: value.slice(0, i) || "0.0.0.0", port };
}
