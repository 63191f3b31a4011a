import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { QueueObserver } from "./queue.js";

/** The reconcile results controller-runtime reports, so its dashboards work unchanged. */
export const RESULTS = ["success", "error", "requeue", "requeue_after"] as const;

/**
 * A controller's Prometheus metrics under controller-runtime's and client-go's names and labels
 * (pkg/internal/controller/metrics, the workqueue_* family, leader_election_master_status), in a registry
 * the application adds its own metrics to (src/controller/operator-metrics.ts).
 * Every series is set to zero at start, so dashboards show it before anything happens.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly terminalReconcileErrors: Counter<"controller">;
  readonly reconcilePanics: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly activeWorkers: Gauge<"controller">;
  readonly maxConcurrent: Gauge<"controller">;
  readonly leader: Gauge<"name">;
  readonly #queue: {
    depth: Gauge<"name">;
    adds: Counter<"name">;
    queueDuration: Histogram<"name">;
    workDuration: Histogram<"name">;
    retries: Counter<"name">;
    unfinished: Gauge<"name">;
    longest: Gauge<"name">;
  };

  constructor(readonly controller: string) {
    const registers = [this.registry];
    const c = { controller };
    this.reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.terminalReconcileErrors = new Counter({
      name: "controller_runtime_terminal_reconcile_errors_total",
      help: "Total number of terminal reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.reconcilePanics = new Counter({
      name: "controller_runtime_reconcile_panics_total",
      help: "Total number of reconciliation panics per controller",
      labelNames: ["controller"],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60],
      registers,
    });
    this.activeWorkers = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    });
    this.maxConcurrent = new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
    });
    this.leader = new Gauge({
      name: "leader_election_master_status",
      help: "1 while this replica leads (holds the leader Lease, or runs without leader election), else 0",
      labelNames: ["name"],
      registers,
    });
    const buckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];
    this.#queue = {
      depth: new Gauge({ name: "workqueue_depth", help: "Current depth of workqueue", labelNames: ["name"], registers }),
      adds: new Counter({ name: "workqueue_adds_total", help: "Total number of adds handled by workqueue", labelNames: ["name"], registers }),
      queueDuration: new Histogram({
        name: "workqueue_queue_duration_seconds",
        help: "How long in seconds an item stays in workqueue before being requested",
        labelNames: ["name"],
        buckets,
        registers,
      }),
      workDuration: new Histogram({
        name: "workqueue_work_duration_seconds",
        help: "How long in seconds processing an item from workqueue takes",
        labelNames: ["name"],
        buckets,
        registers,
      }),
      retries: new Counter({ name: "workqueue_retries_total", help: "Total number of retries handled by workqueue", labelNames: ["name"], registers }),
      unfinished: new Gauge({
        name: "workqueue_unfinished_work_seconds",
        help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration",
        labelNames: ["name"],
        registers,
      }),
      longest: new Gauge({
        name: "workqueue_longest_running_processor_seconds",
        help: "How many seconds has the longest running processor for workqueue been running",
        labelNames: ["name"],
        registers,
      }),
    };
    for (const result of RESULTS) this.reconcileTotal.inc({ ...c, result }, 0);
    this.reconcileErrors.inc(c, 0);
    this.terminalReconcileErrors.inc(c, 0);
    this.reconcilePanics.inc(c, 0);
    this.activeWorkers.set(c, 0);
    this.leader.set({ name: controller }, 0);
    const q = { name: controller };
    this.#queue.depth.set(q, 0);
    this.#queue.adds.inc(q, 0);
    this.#queue.retries.inc(q, 0);
    this.#queue.unfinished.set(q, 0);
    this.#queue.longest.set(q, 0);
    collectDefaultMetrics({ register: this.registry });
  }

  /** The queue's hooks, feeding the workqueue_* series labelled with this controller's name. */
  queueObserver(): QueueObserver {
    const q = { name: this.controller };
    return {
      depth: (n) => this.#queue.depth.set(q, n),
      added: () => this.#queue.adds.inc(q),
      queued: (s) => this.#queue.queueDuration.observe(q, s),
      worked: (s) => this.#queue.workDuration.observe(q, s),
      retried: () => this.#queue.retries.inc(q),
    };
  }

  /** Refreshes the in-flight gauges from the start times of the items being processed (called on scrape). */
  observeInFlight(startedAt: readonly number[], now: number): void {
    const q = { name: this.controller };
    const ages = startedAt.map((t) => (now - t) / 1000);
    this.#queue.unfinished.set(q, ages.reduce((a, b) => a + b, 0));
    this.#queue.longest.set(q, ages.length ? Math.max(...ages) : 0);
  }
}
