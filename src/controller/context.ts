import type { Logger } from "pino";
import type { KubeClient } from "../kube/client.js";
import type { EventRecorder } from "../kube/events.js";
import type { Caches } from "./caches.js";
import type { Clock } from "./clock.js";
import type { RevertTracker } from "./reverts.js";

/** Everything a reconcile may use: caches to read, a client to write, events, and the clock. */
export interface ReconcileContext {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly reverts: RevertTracker;
  readonly clock: Clock;
  readonly log: Logger;
}
