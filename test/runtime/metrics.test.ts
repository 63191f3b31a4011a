import { describe, expect, it } from "vitest";
import { ControllerMetrics } from "../../src/runtime/metrics.js";

describe("ControllerMetrics", () => {
  it("exposes controller-runtime's and client-go's names, every series zero at start", async () => {
    const text = await new ControllerMetrics("proxyservice").registry.metrics();
    for (const line of [
      'controller_runtime_reconcile_total{controller="proxyservice",result="success"} 0',
      'controller_runtime_reconcile_total{controller="proxyservice",result="error"} 0',
      'controller_runtime_reconcile_total{controller="proxyservice",result="requeue"} 0',
      'controller_runtime_reconcile_total{controller="proxyservice",result="requeue_after"} 0',
      'controller_runtime_reconcile_errors_total{controller="proxyservice"} 0',
      'controller_runtime_active_workers{controller="proxyservice"} 0',
      'workqueue_depth{name="proxyservice"} 0',
      'workqueue_adds_total{name="proxyservice"} 0',
      'workqueue_retries_total{name="proxyservice"} 0',
      'workqueue_unfinished_work_seconds{name="proxyservice"} 0',
      'workqueue_longest_running_processor_seconds{name="proxyservice"} 0',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toContain("# TYPE controller_runtime_reconcile_time_seconds histogram");
    expect(text).toContain("# TYPE workqueue_queue_duration_seconds histogram");
    expect(text).toContain("# TYPE workqueue_work_duration_seconds histogram");
  });
});
