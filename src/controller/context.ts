import type { Logger } from "pino";
import type { MeanLatencyPredictor } from "../api/balancing.js";
import type { Client } from "../kube/client.js";
import type { EventPublisher } from "../kube/events.js";
import type { Caches } from "./caches.js";
import type { ConditionMetrics } from "./condition-metrics.js";
import type { Clock } from "../runtime/clock.js";
import type { RevertTracker } from "./reverts.js";
import type { FallbackTracker } from "./availability.js";

/** Everything a reconcile may use: caches to read, a client to write, events, and the clock. */
export interface ReconcileContext {
  readonly caches: Caches;
  readonly client: Client;
  readonly events: EventPublisher;
  readonly reverts: RevertTracker;
  /** Recent fallbacks per ProxyService, for the flap bound (availability.ts). */
  readonly fallbacks: FallbackTracker;
  /** Counts the switches between the proxies and the application (OperatorMetrics.countTransition). */
  readonly transitions: { countTransition(transition: "fellBack" | "tookOverAgain", namespace: string, proxyservice: string): void };
  readonly clock: Clock;
  /** The simulator behind the GlobalView condition (injected: src/controller does not run src/sim itself). */
  readonly predict: MeanLatencyPredictor;
  /** The reconcile's own logger (namespace, name, reconcileID), so nothing it calls can log without them. */
  readonly log: Logger;
  /** The status_condition gauge: what reportStatus reports, also when the write is skipped (a new leader exposes it). */
  readonly conditionMetrics: Pick<ConditionMetrics, "report" | "forget">;
}
