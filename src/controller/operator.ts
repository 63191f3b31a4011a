import type { ApiServerConnection } from "../kube/connection.js";
import type { Logger } from "pino";
import type { ProxyService } from "../api/types.js";
import { Labels } from "../api/labels.js";
import { OPERATOR_NAME } from "../api/names.js";
import { KubeClient } from "../kube/client.js";
import { EventRecorder } from "../kube/events.js";
import { KubeHttp } from "../kube/http.js";
import { requestInfo } from "../kube/request-info.js";
import type { KubeObject } from "../kube/object.js";
import { collectionPath, Resources } from "../kube/resources.js";
import { openWatch } from "../kube/watch.js";
import type { V1Service } from "@kubernetes/client-node";
import type { MeanLatencyPredictor } from "../api/balancing.js";
import { OWNED_KINDS, kindKey, type Caches } from "./caches.js";
import { systemClock } from "./clock.js";
import { startHealthServer } from "./health-server.js";
import { summarizeEndpointSlice, type EndpointSliceSummary } from "./endpoint-slices.js";
import { FallbackTracker } from "./availability.js";
import { PROXY_POD_SELECTOR, summarizeProxyPod, type ProxyPodSummary } from "./proxy-pods.js";
import { Informer } from "./informer.js";
import { LeaderElector, type Lease, type LeaseWatch } from "./leader-election.js";
import { ControllerMetrics } from "./metrics.js";
import { ownersOf } from "./owner-mapping.js";
import { WorkQueue } from "./queue.js";
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from "./rate-limiter.js";
import { reconcile } from "./reconcile.js";
import { RevertTracker } from "./reverts.js";
import { runWorkers } from "./worker.js";

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
  const http = new KubeHttp(opts.connection, (method, path, isWatch) => {
    const info = requestInfo(method, path, isWatch);
    if (info) metrics.apiRequests.inc({ ...info });
  });
  const client = new KubeClient(http, (verb, kind) => metrics.apiWrites.inc({ verb, kind }));
  const events = new EventRecorder(client, opts.identity, (err) => log.warn({ err }, "event not published"));
  const scopes = opts.namespaces?.length ? [...opts.namespaces] : [undefined];
  const deps = {
    reader: client,
    clock,
    onError: (err: unknown, phase: string) => log.warn({ err, phase }, "watch failed; retrying"),
  };
  const proxyServices = new Informer<ProxyService & KubeObject>(Resources.proxyService, scopes, deps, undefined, slim);
  // Services keep their managedFields: they name the field manager that reverted a takeover.
  const services = new Informer<V1Service & KubeObject>(Resources.service, scopes, deps, undefined, (s) => slim(s, true));
  // Owned kinds: only our objects are cached (label selector), so the cache stays small on big clusters.
  // DestinationRules are the exception: the users' are cached too, for the DestinationRules condition.
  const owned = OWNED_KINDS.map(
    (r) => new Informer<KubeObject>(r, scopes, deps, r === Resources.destinationRule ? undefined : `${Labels.managedBy}=${OPERATOR_NAME}`, slim),
  );
  const destinationRules = owned.find((i) => i.resource === Resources.destinationRule)!;
  // EndpointSlices: every one in the watched namespaces (the target may be the user's Service), kept as a summary.
  const endpointSlices = new Informer<EndpointSliceSummary>(Resources.endpointSlice, scopes, deps, undefined, summarizeEndpointSlice);
  // The proxy pods only (label-selected): their readiness decides the takeover and the fallback (availability.ts).
  const proxyPods = new Informer<ProxyPodSummary>(Resources.pod, scopes, deps, PROXY_POD_SELECTOR, summarizeProxyPod);
  // The users' AuthorizationPolicies, in the watched namespaces (the root namespace's too when all are watched).
  const authorizationPolicies = new Informer<KubeObject>(Resources.authorizationPolicy, scopes, deps, undefined, slim);
  const caches: Caches = {
    proxyServices: proxyServices.store,
    services: services.store,
    endpointSlices: endpointSlices.store,
    authorizationPolicies: authorizationPolicies.store,
    proxyPods: proxyPods.store,
    destinationRules: destinationRules.store,
    owned: new Map(owned.map((i) => [kindKey(i.resource), i.store])),
  };
  const informers = [proxyServices, services, endpointSlices, authorizationPolicies, proxyPods, ...owned];

  const queue = new WorkQueue(
    new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 300_000), new BucketRateLimiter(clock, 10, 100)),
    clock,
    metrics.queueObserver(),
  );
  for (const informer of informers) {
    informer.onChange((change) => {
      for (const key of ownersOf(change.object, caches.proxyServices)) queue.add(key);
    });
  }

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
    metrics.conditions.clear();
    for (const informer of informers) informer.stop();
    server.close();
    http.close();
  };

  await Promise.race([Promise.all(informers.map((i) => i.synced)), stopped]);
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
  const ctx = { caches, client, events, reverts, fallbacks, transitions: metrics, clock, log, predict: opts.predict, conditionMetrics: metrics.conditions };
  for (const p of caches.proxyServices.list()) queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
  const resync = setInterval(() => {
    for (const p of caches.proxyServices.list()) queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
  }, opts.resyncMs);
  resync.unref();
  const workers = runWorkers(queue, (key, rlog) => reconcile(key, { ...ctx, log: rlog }), {
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

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Drops from a cached object what the reconciler never reads (managedFields, kubectl's last-applied copy),
 * as client-go's TransformStripManagedFields does: they are often most of an object's size.
 */
function slim<T extends KubeObject>(obj: T, keepManagedFields = false): T {
  const { managedFields, annotations, ...metadata } = obj.metadata;
  const kept = annotations && LAST_APPLIED in annotations ? Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== LAST_APPLIED)) : annotations;
  return {
    ...obj,
    metadata: { ...metadata, ...(kept ? { annotations: kept } : {}), ...(keepManagedFields && managedFields ? { managedFields } : {}) },
  };
}

/** A watch on the one Lease of leader election (by name), so a follower sees each renewal as it happens. */
function leaseWatch(http: KubeHttp, lease: { readonly namespace: string; readonly name: string }): LeaseWatch {
  const path = collectionPath(Resources.lease, lease.namespace);
  return (resourceVersion, onLease) => {
    http.observe("GET", path, true);
    return openWatch(http, path, { resourceVersion, fieldSelector: `metadata.name=${lease.name}`, timeoutSeconds: 300 }, (e) => {
      if (e.type !== "BOOKMARK") onLease(e.object as Lease);
    });
  };
}
