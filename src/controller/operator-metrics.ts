import { Counter, type Registry } from "prom-client";
import { ConditionMetrics } from "./condition-metrics.js";

/**
 * The operator's own metrics (proxy_service_operator_*), beside the runtime's controller-runtime series
 * (src/runtime/metrics.ts) in the same registry, so one /metrics serves both: the requests and writes it
 * sends to the API server, the ProxyServices' conditions, and the switches between the proxies and the
 * application.
 */
export class OperatorMetrics {
  readonly apiWrites: Counter<"verb" | "kind">;
  readonly apiRequests: Counter<"verb" | "group" | "resource">;
  /** proxy_service_operator_status_condition: no series at start, one per condition once the leader reports it. */
  readonly conditions: ConditionMetrics;
  /** Services pointed back at the application's pods because no proxy served, and taken over again (availability.ts). */
  readonly fallbacks: Counter<"namespace" | "proxyservice">;
  readonly retakeovers: Counter<"namespace" | "proxyservice">;

  constructor(registry: Registry) {
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
      new Counter({ name, help, labelNames, registers: [registry] });
    this.apiWrites = counter("proxy_service_operator_api_writes_total", "Write requests the operator sent to the API server, by verb and kind (idle goal: zero)", ["verb", "kind"]);
    this.apiRequests = counter(
      "proxy_service_operator_api_requests_total",
      "Requests the operator sent to the API server, by RBAC verb, API group and resource",
      ["verb", "group", "resource"],
    );
    this.fallbacks = counter(
      "proxy_service_operator_fallbacks_total",
      "Times a taken-over Service was pointed back at the application's pods because no proxy pod served",
      ["namespace", "proxyservice"],
    );
    this.retakeovers = counter(
      "proxy_service_operator_retakeovers_total",
      "Times a Service that fell back was taken over again once a proxy pod had been Ready for the hold time",
      ["namespace", "proxyservice"],
    );
    this.conditions = new ConditionMetrics(registry);
  }

  /** Counts a switch of a ProxyService's Service between the proxies and the application. */
  countTransition(transition: "fellBack" | "tookOverAgain", namespace: string, proxyservice: string): void {
    (transition === "fellBack" ? this.fallbacks : this.retakeovers).inc({ namespace, proxyservice });
  }
}
