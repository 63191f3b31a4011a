import * as k8s from "@kubernetes/client-node";
import type { KubeObject } from "../../../src/kube/object.js";
import { admin, currentAdminKubeConfig } from "./support.js";

interface Endpoint {
  readonly addresses: string[];
  readonly nodeName?: string;
  readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
  readonly targetRef?: { readonly kind?: string; readonly name?: string };
}

interface Slice extends KubeObject {
  readonly endpoints?: Endpoint[] | null;
}

/** One moment of a Service's EndpointSlices: how many endpoints serve, and whose they are. */
export interface Moment {
  readonly at: number;
  /** Proxy pods that serve (ready, or terminating but still serving). */
  readonly proxies: number;
  /** Application pods that serve. */
  readonly app: number;
}

/**
 * Every state of a Service's EndpointSlices, from a watch (so no state is missed between two polls), with
 * each serving endpoint classified as a proxy pod (its name starts with the ProxyService's name) or the
 * application's. A serving endpoint is what a caller's proxy may send to: `serving` (ready, or terminating
 * and still serving; Kubernetes' EndpointSlice conditions), so make-before-break counts a draining proxy.
 */
export class EndpointTimeline {
  readonly moments: Moment[] = [];
  readonly #slices = new Map<string, Slice>();
  readonly #proxyPrefix: string;
  /** Nodes whose kubelet is stopped: their endpoints may still be listed, but nothing answers there. */
  readonly #isDeadNode: (node: string) => boolean;
  #controller: AbortController | undefined;
  #stopped = false;

  private constructor(proxyService: string, isDeadNode: (node: string) => boolean) {
    this.#proxyPrefix = `${proxyService}-`;
    this.#isDeadNode = isDeadNode;
  }

  /**
   * Starts watching; the watch is started again (list, then watch) whenever it ends, so an API server
   * restart leaves no hole in what is seen after it. `isDeadNode`: endpoints on those nodes do not count as serving.
   */
  static async start(namespace: string, service: string, proxyService: string, isDeadNode: (node: string) => boolean = () => false): Promise<EndpointTimeline> {
    const timeline = new EndpointTimeline(proxyService, isDeadNode);
    await timeline.#watch(namespace, service);
    return timeline;
  }

  async #watch(namespace: string, service: string): Promise<void> {
    const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
    const labelSelector = `kubernetes.io/service-name=${service}`;
    const list = await admin.request<{ items: Slice[]; metadata: { resourceVersion: string } }>("GET", path, { query: { labelSelector } });
    this.#slices.clear();
    for (const s of list.items) this.#slices.set(s.metadata.name, s);
    this.#record();
    const again = (): void => {
      if (this.#stopped) return;
      setTimeout(() => void this.#watch(namespace, service).catch(again), 500);
    };
    this.#controller = await new k8s.Watch(currentAdminKubeConfig()).watch(
      path,
      // Ended by the server every 30 s and listed again: a watch that went quiet after an API server restart
      // cannot hide the Service's state for long (the chaos benchmark saw minutes without an event).
      { labelSelector, resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 30 },
      (type: string, slice: Slice) => {
        if (type === "DELETED") this.#slices.delete(slice.metadata.name);
        else if (type === "ADDED" || type === "MODIFIED") this.#slices.set(slice.metadata.name, slice);
        else return;
        this.#record();
      },
      again,
    );
  }

  stop(): void {
    this.#stopped = true;
    this.#controller?.abort();
  }

  /** Records the current state again (after a node died or came back, which changes what serves). */
  refresh(): void {
    this.#record();
  }

  get now(): Moment {
    return this.moments[this.moments.length - 1]!;
  }

  /** The longest stretch, in ms, during which no endpoint served at all (0 when there never was one). */
  longestWithoutServing(from = 0): number {
    let longest = 0;
    let since: number | undefined;
    for (const m of this.moments.filter((x) => x.at >= from)) {
      const none = m.proxies + m.app === 0;
      if (none && since === undefined) since = m.at;
      if (!none && since !== undefined) {
        longest = Math.max(longest, m.at - since);
        since = undefined;
      }
    }
    return since === undefined ? longest : Math.max(longest, Date.now() - since);
  }

  /**
   * The longest stretch since `from`, in ms, during which this Service had no serving endpoint while `baseline`
   * (the application's own Service, e.g. the target) had one: the time the ProxyService made the Service less
   * available than the application was without it. An application with no serving pod at all is not counted:
   * no proxy could have helped then.
   */
  longestWorseThan(baseline: EndpointTimeline, from: number, until = Date.now()): number {
    return Math.max(0, ...this.worseThan(baseline, from, until).map(([start, end]) => end - start));
  }

  /** The stretches [start, end] behind longestWorseThan, oldest first. */
  worseThan(baseline: EndpointTimeline, from: number, until = Date.now()): [number, number][] {
    const at = (ms: readonly Moment[], t: number): Moment | undefined => ms.filter((m) => m.at <= t).at(-1);
    const times = [...new Set([from, ...this.moments.map((m) => m.at), ...baseline.moments.map((m) => m.at)])].filter((t) => t >= from && t <= until).sort((a, b) => a - b);
    const stretches: [number, number][] = [];
    let since: number | undefined;
    for (const t of times) {
      const mine = at(this.moments, t);
      const theirs = at(baseline.moments, t);
      const worse = (mine === undefined || mine.proxies + mine.app === 0) && theirs !== undefined && theirs.proxies + theirs.app > 0;
      if (worse && since === undefined) since = t;
      if (!worse && since !== undefined) {
        stretches.push([since, t]);
        since = undefined;
      }
    }
    if (since !== undefined) stretches.push([since, until]);
    return stretches;
  }

  /** The fewest serving endpoints at any moment since `from`. */
  fewestServing(from = 0): number {
    return Math.min(...this.moments.filter((m) => m.at >= from).map((m) => m.proxies + m.app));
  }

  /**
   * The time from the last moment a proxy served (since `from`) until the application's pods were listed: the
   * fallback's gap for an outage that was not planned. 0 when the application was listed before the proxies left.
   */
  fallbackGap(from: number): number | undefined {
    const after = this.moments.filter((m) => m.at >= from);
    const lastProxy = after.findLastIndex((m) => m.proxies > 0 && m.app === 0);
    const appListed = after.findIndex((m, i) => i > lastProxy && m.app > 0);
    if (appListed < 0) return undefined;
    const firstWithout = after.findIndex((m, i) => i > lastProxy && m.proxies === 0);
    if (firstWithout < 0 || firstWithout >= appListed) return 0;
    return after[appListed]!.at - after[firstWithout]!.at;
  }

  /** Counts of switches seen since `from`: to the application (fallbacks) and back to the proxies only (takeovers). */
  switches(from = 0): { fallbacks: number; takeovers: number } {
    let fallbacks = 0;
    let takeovers = 0;
    // Where the Service pointed just before `from`: the switch may be the first moment after it.
    const before = this.moments.filter((x) => x.at < from).at(-1);
    let onApp: boolean | undefined = before === undefined ? undefined : before.app > 0 ? true : before.proxies > 0 ? false : undefined;
    for (const m of this.moments.filter((x) => x.at >= from)) {
      const app = m.app > 0 ? true : m.proxies > 0 ? false : onApp;
      if (onApp === false && app === true) fallbacks++;
      if (onApp === true && app === false) takeovers++;
      onApp = app;
    }
    return { fallbacks, takeovers };
  }

  /** The share of the time since `from` during which only proxies served (the Service went through them). */
  throughProxies(from: number, until = Date.now()): number {
    const ms = this.moments;
    let through = 0;
    for (let i = 0; i < ms.length; i++) {
      const start = Math.max(ms[i]!.at, from);
      const end = Math.min(ms[i + 1]?.at ?? until, until);
      if (end > start && ms[i]!.proxies > 0 && ms[i]!.app === 0) through += end - start;
    }
    return through / Math.max(1, until - from);
  }

  describe(from = 0): string {
    const t0 = this.moments.find((m) => m.at >= from)?.at ?? from;
    return this.moments
      .filter((m) => m.at >= from)
      .map((m) => `+${m.at - t0} ms: ${m.proxies} proxy, ${m.app} app`)
      .join("\n");
  }

  #record(): void {
    let proxies = 0;
    let app = 0;
    for (const slice of this.#slices.values()) {
      for (const e of slice.endpoints ?? []) {
        const serving = e.conditions?.serving ?? e.conditions?.ready ?? true;
        if (!serving || (e.nodeName !== undefined && this.#isDeadNode(e.nodeName))) continue;
        if (e.targetRef?.name?.startsWith(this.#proxyPrefix)) proxies++;
        else app++;
      }
    }
    const last = this.moments[this.moments.length - 1];
    if (last?.proxies === proxies && last.app === app) return;
    this.moments.push({ at: Date.now(), proxies, app });
  }
}
