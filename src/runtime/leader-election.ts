import type { KubeClient } from "../kube/client.js";
import { isConflict } from "../kube/errors.js";
import type { KubeObject } from "../kube/object.js";
import { Resources } from "../kube/resources.js";
import type { WatchStream } from "../kube/watch.js";
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

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Watches the Lease from a resourceVersion, telling `onLease` of each change. */
export type LeaseWatch = (resourceVersion: string, onLease: (lease: Lease) => void) => WatchStream;

/**
 * Leader election on a coordination.k8s.io Lease, following client-go's algorithm. A lease held by someone
 * else counts as expired only when its record has not changed for leaseDuration as measured on *our* clock
 * (we note when we last saw it change), so clock skew between replicas cannot make two leaders.
 * Writes use the Lease's resourceVersion, so two candidates racing for it cannot both win.
 *
 * Where we differ from client-go: a follower also watches the Lease. Polling alone sees a renewal up to a
 * retry period late, so a crashed leader would be replaced up to a retry period after its lease ran out;
 * with the watch, the follower's count starts when the last renewal happened, and the handover lands within
 * the lease duration of the crash. Polling stays as the fallback whenever the watch is down.
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
  readonly #watchLease: LeaseWatch | undefined;
  #watch: WatchStream | undefined;

  constructor(cfg: LeaseConfig, client: KubeClient, clock: Clock, watchLease?: LeaseWatch) {
    this.#cfg = cfg;
    this.#client = client;
    this.#clock = clock;
    this.#watchLease = watchLease;
  }

  /**
   * Tries to acquire the lease until it does (resolves true) or `stop` is called (resolves false); then keeps
   * renewing in the background and calls `onLost` if a renewal deadline passes.
   */
  async acquire(onLost: () => void): Promise<boolean> {
    while (!this.#stopped) {
      if (await this.#tryAcquireOrRenew().catch(() => false)) {
        this.#unfollow();
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
   * moment of expiry rather than at its next retry. The expiry counts from when we saw the last renewal:
   * at once through the watch, or up to a retry period late when only polling.
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
    this.#unfollow();
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
    this.#observe(existing, now);
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
    if (heldByOther) this.#follow(existing);
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

  /** Notes when the Lease's record last changed, on our clock. */
  #observe(lease: Lease, now: number): void {
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime]);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = now;
    }
  }

  /** Opens the watch on the Lease unless it is open; when it ends (timeout, error), the next poll reopens it. */
  #follow(lease: Lease): void {
    if (this.#watch || !this.#watchLease || this.#stopped || !lease.metadata.resourceVersion) return;
    const watch = this.#watchLease(lease.metadata.resourceVersion, (changed) => this.#observe(changed, this.#clock.now()));
    this.#watch = watch;
    void watch.done.then(() => {
      if (this.#watch === watch) this.#watch = undefined;
    });
  }

  #unfollow(): void {
    this.#watch?.abort();
    this.#watch = undefined;
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
