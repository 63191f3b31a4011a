import type { ApiServerConnection } from "../kube/connection.js";
import type { Logger } from "pino";
import { KubeClient } from "../kube/client.js";
import { EventRecorder } from "../kube/events.js";
import { KubeHttp } from "../kube/http.js";
import { requestInfo } from "../kube/request-info.js";
import { keyOf } from "../kube/object.js";
import type { MeanLatencyPredictor } from "../api/balancing.js";
import { newCacheInformers } from "./caches.js";
import { systemClock } from "../runtime/clock.js";
import { startHealthServer } from "../runtime/health-server.js";
import { Outcome } from "../runtime/outcome.js";
import { FallbackTracker } from "./availability.js";
import type { Scope } from "../runtime/informer.js";
import { LeaderElector } from "../runtime/leader-election.js";
import { leaseWatch } from "../runtime/lease-watch.js";
import { ControllerMetrics } from "../runtime/metrics.js";
import { OperatorMetrics } from "./operator-metrics.js";
import { ownersOfChange } from "./owner-mapping.js";
import { WorkQueue } from "../runtime/queue.js";
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from "../runtime/rate-limiter.js";
import { reconcile } from "./reconcile.js";
import { RevertTracker } from "./reverts.js";
import { runWorkers } from "../runtime/worker.js";

export const CONTROLLER_NAME = "proxyservice";

export interface OperatorOptions {
  readonly connection: ApiServerConnection;
  /** Watch only these namespaces; undefined watches all. */
  readonly namespaces?: readonly string[];
  readonly concurrency: number;
  readonly metricsAddress: { readonly host: string; readonly port: number };
  /** Undefined runs without leader election (a single replica). */
  readonly leaderElection?: {
    readonly namespace: string;
    readonly name: string;
    readonly leaseDurationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  /** This replica's name in events and the Lease: the pod name in a cluster. */
  readonly identity: string;
  /** Every ProxyService is reconciled again this often even without events: the safety net for a missed one. */
  readonly resyncMs: number;
  readonly log: Logger;
  /** The simulator behind the GlobalView condition (src/cli/balancing-predictor.ts). */
  readonly predict: MeanLatencyPredictor;
}

/**
 * Runs the operator until `signal` aborts: caches for every kind it reads, the work queue, leader election,
 * the workers and the /metrics, /healthz, /readyz server. On abort it stops taking work, lets running
 * reconciles finish, releases the Lease so another replica takes over at once, and returns.
 * Rejects if leadership is lost (the caller exits, as controller-runtime does).
 */
export async function runOperator(opts: OperatorOptions, signal: AbortSignal): Promise<void> {
  const { log } = opts;
  const clock = systemClock;
  const metrics = new ControllerMetrics(CONTROLLER_NAME);
  const operatorMetrics = new OperatorMetrics(metrics.registry);
  const http = new KubeHttp(opts.connection, (method, path, isWatch) => {
    const info = requestInfo(method, path, isWatch);
    if (info) operatorMetrics.apiRequests.inc({ ...info });
  });
  const client = new KubeClient(http, (verb, kind) => operatorMetrics.apiWrites.inc({ verb, kind }));
  const events = new EventRecorder(client, opts.identity, (err) => log.warn({ err }, "event not published"));
  const scopes: Scope[] = opts.namespaces?.length ? [...opts.namespaces] : [undefined];
  const deps = {
    reader: client,
    clock,
    answers: http.answers,
    onError: (err: unknown, phase: string) => log.warn({ err, phase }, "watch failed; retrying"),
  };
  const { caches, informers, namespaceScopes } = newCacheInformers(scopes, deps);

  const queue = new WorkQueue(
    new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 300_000), new BucketRateLimiter(clock, 10, 100)),
    clock,
    metrics.queueObserver(),
  );
  for (const informer of informers) {
    informer.onChange((change) => {
      for (const key of ownersOfChange(change, caches.proxyServices)) queue.add(key);
    });
  }
  // A namespace's caches just listed: its ProxyServices' reconciles, held back until now, can run.
  namespaceScopes.onSynced((namespace) => {
    for (const p of caches.proxyServices.list(namespace)) queue.add(keyOf(p));
  });

  let synced = false;
  const server = await startHealthServer(opts.metricsAddress, metrics.registry, {
    healthy: () => true,
    ready: () => synced,
    beforeScrape: () => metrics.observeInFlight(queue.processingSince, clock.now()),
  });
  log.info({ address: opts.metricsAddress, namespaces: opts.namespaces ?? "all" }, "serving metrics and health");
  for (const informer of informers) informer.start();

  const elector = opts.leaderElection ? new LeaderElector({ ...opts.leaderElection, identity: opts.identity }, client, clock, leaseWatch(http, opts.leaderElection)) : undefined;
  let lostLeadership: (err: Error) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => (lostLeadership = reject));
  lost.catch(() => undefined);
  const stopped = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

  const shutdown = async (): Promise<void> => {
    queue.shutdown();
    await elector?.release();
    metrics.leader.set({ name: CONTROLLER_NAME }, 0);
    operatorMetrics.conditions.clear();
    for (const informer of informers) informer.stop();
    server.close();
    http.close();
  };

  // The namespaces of the ProxyServices listed at start are known once that cache has synced.
  await Promise.race([Promise.all(informers.map((i) => i.synced)), stopped]);
  await namespaceScopes.whenSynced(signal);
  if (signal.aborted) return shutdown();
  synced = true;
  log.info({ proxyServices: caches.proxyServices.size }, "caches synced");

  if (elector) {
    log.info({ lease: opts.leaderElection }, "waiting for leadership");
    const acquired = await Promise.race([elector.acquire(() => lostLeadership(new Error("leader lease lost"))), stopped.then(() => false)]);
    if (!acquired) return shutdown();
    metrics.leader.set({ name: CONTROLLER_NAME }, 1);
    log.info({ identity: opts.identity }, "became leader");
  }
  // Without leader election this replica leads alone: it reconciles, so the "no leader" alert must not fire.
  if (!elector) metrics.leader.set({ name: CONTROLLER_NAME }, 1);

  const reverts = new RevertTracker();
  const fallbacks = new FallbackTracker();
  const ctx = { caches, client, events, reverts, fallbacks, transitions: operatorMetrics, clock, log, predict: opts.predict, conditionMetrics: operatorMetrics.conditions };
  for (const p of caches.proxyServices.list()) queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
  const resync = setInterval(() => {
    for (const p of caches.proxyServices.list()) queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
  }, opts.resyncMs);
  resync.unref();
  // A namespace whose caches have not listed yet would show its Services as missing: its reconciles wait for
  // the sync, which enqueues them again (onSynced above). A ProxyService gone from the cache is reconciled at
  // once: its pass reads no namespace cache, it only forgets what the operator kept about it (its condition
  // series, revert and fallback history), and its namespace's scope may already be gone with it.
  const whenScoped = (key: string, rlog: Logger): Promise<Outcome> =>
    caches.proxyServices.get(key) === undefined || namespaceScopes.isSynced(key.slice(0, key.indexOf("/")))
      ? reconcile(key, { ...ctx, log: rlog })
      : Promise.resolve(Outcome.done());
  const workers = runWorkers(queue, whenScoped, {
    concurrency: opts.concurrency,
    log,
    metrics,
  });
  try {
    await Promise.race([stopped, lost]);
  } finally {
    clearInterval(resync);
    queue.shutdown();
    await workers; // let running reconciles finish: each is idempotent, but a finished one is cheaper
    await shutdown();
  }
}
