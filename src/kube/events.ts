import { createHash, randomBytes } from "node:crypto";
import { REPORTING_CONTROLLER } from "../api/names.js";
import type { KubeObject } from "./object.js";
import type { Writer } from "./client.js";

export type EventType = "Normal" | "Warning";

export interface EventInput {
  readonly type: EventType;
  /** CamelCase, from the closed set in src/api/conditions.ts. */
  readonly reason: string;
  /** A sentence naming the objects involved. */
  readonly note: string;
  /** What the controller did or tried: "Apply", "TakeOver", "Restore", "Delete". */
  readonly action: string;
}

/** What a reconcile needs of events: publish one about an object. */
export interface EventPublisher {
  publish(regarding: KubeObject, e: EventInput): Promise<void>;
}

/**
 * Publishes `events.k8s.io/v1` Events about an object, naming this controller and the pod it runs in.
 * Needs RBAC `create` on `events.k8s.io/events`. Publishing is best effort: a failed event must never fail
 * a reconcile, so errors go to `onError` only. The same reason and note about the same version of an object
 * are sent once per ten minutes, so that a reconcile retried on the same cached object does not flood
 * `kubectl describe`; a later version (each transition writes status, so the object moves on) is a new
 * occurrence and is published, so that a second outage within ten minutes is told too.
 */
export class EventRecorder implements EventPublisher {
  readonly #client: Pick<Writer, "create">;
  readonly #instance: string;
  readonly #onError: (err: unknown) => void;
  readonly #recent = new Map<string, number>();

  constructor(client: Pick<Writer, "create">, instance: string, onError: (err: unknown) => void) {
    this.#client = client;
    this.#instance = instance;
    this.#onError = onError;
  }

  async publish(regarding: KubeObject, e: EventInput): Promise<void> {
    // A digest, not the text: the notes are sentences, and at 1,000 ProxyServices the keys were 2 MiB (issue 17).
    const dedupKey = createHash("sha256").update(`${regarding.metadata.uid}/${regarding.metadata.resourceVersion}/${e.reason}/${e.note}`).digest("base64");
    const now = Date.now();
    const last = this.#recent.get(dedupKey);
    if (last !== undefined && now - last < 600_000) return;
    this.#recent.set(dedupKey, now);
    if (this.#recent.size > 10_000) this.#recent.clear();
    const name = `${regarding.metadata.name}.${randomBytes(8).toString("hex")}`;
    try {
      await this.#client.create({
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { name, namespace: regarding.metadata.namespace ?? "default" },
        eventTime: new Date(now).toISOString().replace("Z", "000Z"),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: this.#instance,
        action: e.action,
        reason: e.reason,
        note: e.note.slice(0, 1024),
        type: e.type,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.metadata.name,
          namespace: regarding.metadata.namespace,
          uid: regarding.metadata.uid,
          resourceVersion: regarding.metadata.resourceVersion,
        },
      } as KubeObject);
    } catch (err) {
      this.#onError(err);
    }
  }
}
