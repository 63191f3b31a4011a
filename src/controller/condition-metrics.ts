import { Gauge, type Registry } from "prom-client";
import type { Condition } from "../api/types.js";
import { splitKey, type ObjectKey } from "../kube/object.js";

export const STATUS_CONDITION_METRIC = "proxy_service_operator_status_condition";

type Label = "namespace" | "proxyservice" | "type" | "status" | "reason";
type Series = Readonly<Record<Label, string>>;

/**
 * `proxy_service_operator_status_condition{namespace, proxyservice, type, status, reason}`, in the style of
 * kube-state-metrics' condition gauges: one series of value 1 for each condition a ProxyService has now, so
 * an alert can match on the reason and keep its labels while the reason holds. A changed status or reason
 * replaces the ProxyService's old series (a stale 1 beside the new one would keep an alert firing), and
 * `forget` removes them all once the ProxyService is gone.
 *
 * Stateful (it remembers each ProxyService's series); one reconcile at a time per key, as the queue ensures.
 */
export class ConditionMetrics {
  readonly #gauge: Gauge<Label>;
  readonly #series = new Map<ObjectKey, Series[]>();

  constructor(registry: Registry) {
    this.#gauge = new Gauge({
      name: STATUS_CONDITION_METRIC,
      help: "1 for each status condition a ProxyService has now, by type, status and reason (set by the leader only)",
      labelNames: ["namespace", "proxyservice", "type", "status", "reason"],
      registers: [registry],
    });
  }

  /** Exposes exactly `conditions` for the ProxyService `key`, removing its series of any other type, status or reason. */
  report(key: ObjectKey, conditions: readonly Condition[]): void {
    const { namespace, name } = splitKey(key);
    const next: Series[] = conditions.map((c) => ({ namespace, proxyservice: name, type: c.type, status: c.status, reason: c.reason }));
    for (const old of this.#series.get(key) ?? []) if (!next.some((s) => isSameSeries(s, old))) this.#gauge.remove(old);
    for (const series of next) this.#gauge.set(series, 1);
    this.#series.set(key, next);
  }

  /** Removes every series of the ProxyService `key` (it was deleted). */
  forget(key: ObjectKey): void {
    for (const series of this.#series.get(key) ?? []) this.#gauge.remove(series);
    this.#series.delete(key);
  }

  /** Removes every series: this replica no longer leads, so it no longer speaks for the ProxyServices. */
  clear(): void {
    this.#gauge.reset();
    this.#series.clear();
  }
}

function isSameSeries(a: Series, b: Series): boolean {
  return a.type === b.type && a.status === b.status && a.reason === b.reason;
}
