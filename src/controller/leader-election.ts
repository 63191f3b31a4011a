import type { KubeClient } from "../kube/client.js";
import { isConflict } from "../kube/errors.js";
import type { KubeObject } from "../kube/object.js";
import { Resources } from "../kube/resources.js";
import type { Clock } from "./clock.js";

export interface LeaseConfig {
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity (its pod name plus a random suffix). */
  readonly identity: string;
  /** How long a lease is good for without renewal; a new leader waits this long after the last renewal it saw. */
  readonly leaseDurationMs: number;
  /** Give up leadership when renewals have failed for this long (shorter than the lease duration). */
  readonly renewDeadlineMs: number;
  /** How often to try to acquire or renew. */
  readonly retryPeriodMs: number;
}

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/**
 * Leader election on a coordination.k8s.io Lease, following client-go's algorithm. A lease held by someone
 * else counts as expired only when its record has not changed for leaseDuration as measured on *our* clock
 * (we note when we last saw it change), so clock skew between replicas cannot make two leaders.
 * Writes use the Lease's resourceVersion, so two candidates racing for it cannot both win.
 */
export class LeaderElector {
  readonly #cfg: LeaseConfig;
  readonly #client: KubeClient;
  readonly #clock: Clock;
  #observedRecord = "";
  #observedAt = 0;
  /** When the lease held by another replica expires on our clock, if it does; undefined when it is free or ours. */
  #otherExpiresAt: number | undefined;
  #isLeader = false;
  #lastRenew = 0;
  #stopped = false;
  #cancel: () => void = () => undefined;

  constructor(cfg: LeaseConfig, client: KubeClient, clock: Clock) {
    this.#cfg = cfg;
    this.#client = client;
    this.#clock = clock;
  }

  get isLeader(): boolean {
    return this.#isLeader;
  }

  /**
   * Tries to acquire the lease until it does (resolves true) or `stop` is called (resolves false); then keeps
   * renewing in the background and calls `onLost` if a renewal deadline passes.
   */
  async acquire(onLost: () => void): Promise<boolean> {
    while (!this.#stopped) {
      if (await this.#tryAcquireOrRenew().catch(() => false)) {
        this.#isLeader = true;
        this.#lastRenew = this.#clock.now();
        void this.#renewLoop(onLost);
        return true;
      }
      await this.#sleep(this.#untilNextAttempt());
    }
    return false;
  }

  /**
   * A retry period, or less when the other holder's lease expires sooner: a follower then tries at the
   * moment of expiry, so a crashed leader is replaced after the lease duration plus at most the time it
   * took to notice its last renewal (under one retry period), not plus another retry period on top.
   */
  #untilNextAttempt(): number {
    const { retryPeriodMs } = this.#cfg;
    const untilExpiry = this.#otherExpiresAt === undefined ? 0 : this.#otherExpiresAt - this.#clock.now();
    // Past expiry and still not ours (the write failed or lost a race): back to the normal period, never a busy loop.
    return untilExpiry > 0 ? Math.min(retryPeriodMs, untilExpiry) : retryPeriodMs;
  }

  /** Stops renewing and, if leader, releases the lease so that another replica takes over at once. */
  async release(): Promise<void> {
    this.#stopped = true;
    this.#cancel();
    if (!this.#isLeader) return;
    this.#isLeader = false;
    const lease = await this.#client.get<Lease>(Resources.lease, this.#cfg.namespace, this.#cfg.name).catch(() => undefined);
    if (lease?.spec?.holderIdentity !== this.#cfg.identity) return;
    await this.#client
      .replace({ ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1 } })
      .catch(() => undefined);
  }

  async #renewLoop(onLost: () => void): Promise<void> {
    while (!this.#stopped && this.#isLeader) {
      await this.#sleep(this.#cfg.retryPeriodMs);
      if (this.#stopped) return;
      const renewed = await this.#tryAcquireOrRenew().catch(() => false);
      if (renewed) this.#lastRenew = this.#clock.now();
      else if (this.#clock.now() - this.#lastRenew > this.#cfg.renewDeadlineMs) {
        this.#isLeader = false;
        onLost();
        return;
      }
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#clock.now();
    const stamp = new Date(now).toISOString().replace("Z", "000Z");
    const { namespace, name, identity } = this.#cfg;
    const leaseDurationSeconds = Math.ceil(this.#cfg.leaseDurationMs / 1000);
    const existing = await this.#client.get<Lease>(Resources.lease, namespace, name);
    if (!existing) {
      await this.#client.create({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 },
      } as Lease);
      return true;
    }
    const spec = existing.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime]);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = now;
    }
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    this.#otherExpiresAt = heldByOther ? this.#observedAt + duration : undefined;
    if (heldByOther && this.#observedAt + duration > now) return false;
    const next: Lease = {
      ...existing,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: stamp,
        acquireTime: heldByOther || !spec.holderIdentity ? stamp : spec.acquireTime ?? stamp,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (spec.holderIdentity === identity ? 0 : 1),
      },
    };
    try {
      await this.#client.replace(next);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.#clock.setTimer(resolve, ms);
      this.#cancel = () => {
        cancel();
        resolve();
      };
    });
  }
}
