import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { pino } from "pino";
import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { withDefaults } from "../../src/api/defaults.js";
import { SpecError } from "../../src/api/errors.js";
import { Annotations, normalizePort, observeRecord } from "../../src/api/takeover.js";
import type { ProxyService } from "../../src/api/types.js";
import { Registry } from "prom-client";
import { FakeClock } from "../support/fake-clock.js";
import { ConditionMetrics } from "../../src/controller/condition-metrics.js";
import { reconcile } from "../../src/controller/reconcile.js";
import type { Outcome } from "../../src/runtime/outcome.js";
import { Reasons } from "../../src/api/conditions.js";
import { RevertTracker } from "../../src/controller/reverts.js";
import { desired as render } from "../../src/render/desired.js";
import { proxySelector } from "../../src/render/metadata.js";
import type { KubeObject } from "../../src/kube/object.js";
import { FakeCluster, OperatorKilled } from "./fake-cluster.js";
import { flatPredictor, freshMemory } from "./fixtures.js";
import {
  APP_SELECTOR,
  APP_SELECTOR_NARROW,
  INITIAL_PORTS,
  USER_TARGET,
  describeActions,
  desiredOwnedObjects,
  editPorts,
  isAcceptedByCrd,
  specOf,
  userActionsAndFaults,
  type ProxyFault,
  type UserAction,
} from "../support/user-actions.js";

/** desired() as the operator and the CLI call it: with the record of spec.serviceName decoded once. */
const desired = (ps: Parameters<typeof render>[0], observed: Parameters<typeof render>[1]): ReturnType<typeof render> =>
  render(ps, { ...observed, ...observeRecord(observed.service) });

// Issue 10, part 2 (unit level): random sequences of what users, tools and crashes do, interleaved with
// reconciles of the real reconcile() on an in-memory API server, with the promise checked after every step.

const NS = "shop";
const PS = "ps-s0";
const key = `${NS}/${PS}`;
const silent = pino({ level: "silent" });
const conditionMetrics = new ConditionMetrics(new Registry());

/** What the user believes: the spec they last wrote, and sn0 as they last made it (undefined: they deleted it). */
interface Model {
  spec?: ProxyService["spec"];
  original?: { selector: Record<string, string>; ports: V1ServicePort[] };
}

class InMemoryWorld {
  readonly clock = new FakeClock(Date.parse("2026-12-01T00:00:00Z"));
  readonly cluster = new FakeCluster(() => this.clock.now());
  tracker = new RevertTracker();
  memory = freshMemory();
  onTransition: (transition: string) => void = () => undefined;
  readonly model: Model = { original: { selector: { ...APP_SELECTOR }, ports: INITIAL_PORTS.map((p) => ({ ...p })) } };
  readonly log: string[] = [];

  constructor() {
    this.cluster.applyAs("kubectl", userService("sn0", INITIAL_PORTS), false);
  }

  /** What the kubelet and the Deployment controller make of the proxies at the next settle (the last fault). */
  proxyHealth: ProxyFault["fault"] = "ready";

  async do(action: UserAction | ProxyFault): Promise<void> {
    this.log.push(JSON.stringify(action));
    const c = this.cluster;
    if (action.kind === "proxyFault") return this.#fault(action.fault);
    const ps = c.find("msvcbench.io/v1alpha1", "ProxyService", NS, PS);
    const sn0 = c.find("v1", "Service", NS, "sn0");
    const original = this.model.original;
    switch (action.kind) {
      case "createProxyService": {
        const spec = specOf(action.edits);
        if (ps !== undefined || !isAcceptedByCrd(spec)) return;
        c.applyAs("kubectl", { apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: PS, namespace: NS }, spec }, false);
        this.model.spec = spec;
        return;
      }
      case "editSpec": {
        if (ps === undefined || ps.metadata.deletionTimestamp !== undefined) return;
        const spec = specOf([action.edit], ps.spec as ProxyService["spec"]);
        if (!isAcceptedByCrd(spec)) return;
        c.edit("msvcbench.io/v1alpha1", "ProxyService", NS, PS, (o) => void (o.spec = spec as never));
        this.model.spec = spec;
        return;
      }
      case "deleteProxyService":
        if (ps !== undefined) c.deleteObject(ps);
        delete this.model.spec;
        return;
      case "revertSelector": {
        if (sn0 === undefined || original === undefined) return;
        const selector = { ...(action.narrow ? APP_SELECTOR_NARROW : APP_SELECTOR) };
        c.edit("v1", "Service", NS, "sn0", (o) => void (o.spec!.selector = { ...selector }), "argocd-controller");
        original.selector = selector;
        return;
      }
      case "revertSelectorAndPorts":
        if (sn0 === undefined || original === undefined) return;
        c.edit("v1", "Service", NS, "sn0", (o) => void (o.spec = { ...o.spec, selector: { ...APP_SELECTOR }, ports: structuredClone(original.ports) }), "argocd-controller");
        original.selector = { ...APP_SELECTOR };
        return;
      case "editPorts":
        if (sn0 === undefined || original === undefined) return;
        c.edit("v1", "Service", NS, "sn0", (o) => void (o.spec!.ports = editPorts((o.spec as V1Service["spec"])!.ports ?? [], action.edit)));
        original.ports = editPorts(original.ports, action.edit);
        return;
      case "scaleApp":
        return; // the in-memory cluster has no pods; the integration level scales the real Deployment
      case "deleteService":
        if (sn0 !== undefined) c.deleteObject(sn0);
        delete this.model.original;
        return;
      case "recreateService":
        if (sn0 !== undefined) return; // kubectl create: AlreadyExists
        c.applyAs("kubectl", userService("sn0", INITIAL_PORTS), false);
        this.model.original = { selector: { ...APP_SELECTOR }, ports: INITIAL_PORTS.map((p) => ({ ...p })) };
        return;
      case "createUserTarget":
        if (c.find("v1", "Service", NS, USER_TARGET) === undefined) c.applyAs("kubectl", userService(USER_TARGET, original?.ports ?? INITIAL_PORTS), false);
        return;
      case "deleteTarget": {
        const target = c.find("v1", "Service", NS, (this.model.spec?.target as string | undefined) ?? "sn0-ep");
        if (target !== undefined) c.deleteObject(target);
        return;
      }
      case "killOperator":
        c.sync();
        c.killAfterWrites = action.afterWrites;
        try {
          await this.#reconcile();
        } catch (err) {
          if (!(rootCause(err) instanceof OperatorKilled) && !isApiError(rootCause(err))) throw err;
        } finally {
          c.killAfterWrites = undefined;
          this.tracker = new RevertTracker(); // a new process remembers nothing
          this.memory = freshMemory();
        }
        return;
      case "settle":
        await this.settle();
        return;
      case "tick":
        this.clock.advance(action.minutes * 60_000);
        return;
    }
  }

  /**
   * A fault on the proxies, then the one reconcile its pod event triggers: I1 is checked after the operator's
   * reaction (its bound, p99 <= 1 s, is measured against the real API server, not here).
   */
  async #fault(fault: ProxyFault["fault"]): Promise<void> {
    const c = this.cluster;
    this.proxyHealth = fault;
    if (fault === "deploymentDeleted") {
      const deployment = c.find("apps/v1", "Deployment", NS, PS);
      if (deployment !== undefined) c.deleteObject(deployment);
    }
    c.setProxies(fault === "deleted" || fault === "deploymentDeleted" ? 0 : 1, fault === "unready" ? "NotReady" : fault === "terminating" ? "Terminating" : "Ready");
    c.sync();
    await this.#reconcile();
    c.sync();
  }

  #reconcile(): Promise<unknown> {
    return reconcile(key, {
      caches: this.cluster.caches,
      client: this.cluster,
      events: this.cluster.eventPublisher,
      predict: flatPredictor,
      reverts: this.tracker,
      fallbacks: this.memory.fallbacks,
      transitions: { countTransition: (t: string) => this.onTransition(t) },
      clock: this.clock,
      log: silent,
      conditionMetrics,
    });
  }

  /** Informers, the Deployment controller, the garbage collector and the operator, until nothing changes. */
  async settle(): Promise<void> {
    const c = this.cluster;
    for (let i = 0; i < 30; i++) {
      const before = JSON.stringify(c.list());
      c.sync();
      // A failing probe keeps failing until a "ready" fault; a deleted or terminating pod is replaced by a new, Ready one.
      c.setProxies(1, this.proxyHealth === "unready" ? "NotReady" : "Ready");
      c.collectGarbage();
      c.sync();
      const next = (await this.#reconcile()) as Outcome;
      // A fallback waiting for the hold time comes back when it is over: that much time passes, and it is not settled yet.
      const isHolding = next.kind === "requeueAfter" && next.reason === Reasons.FellBack;
      if (isHolding) this.clock.advance(next.ms);
      c.sync();
      if (!isHolding && JSON.stringify(c.list()) === before) {
        this.checkConverged();
        return;
      }
    }
    throw new Error("does not converge within 30 rounds");
  }

  /** I1: sn0 selects the application's pods or a proxy that serves (Ready, or draining), never nothing. Checked after every step. */
  checkNeverPointsAtNothing(): void {
    const sn0 = this.cluster.find("v1", "Service", NS, "sn0") as (V1Service & KubeObject) | undefined;
    if (sn0 === undefined) return;
    const selector = sn0.spec?.selector ?? {};
    if (sameRecord(selector, APP_SELECTOR) || sameRecord(selector, APP_SELECTOR_NARROW)) return;
    // Outside the promise: a Service the operator created (the user had deleted theirs) whose target the user
    // deleted too. Nothing in the cluster names the application's pods any more, so there is nothing to fall
    // back to; the proxies already route to a missing target, and status says TargetServiceMissing.
    const target = (this.model.spec?.target as string | undefined) ?? "sn0-ep";
    if ((sn0.metadata.ownerReferences ?? []).length > 0 && this.cluster.find("v1", "Service", NS, target) === undefined) return;
    const proxies = proxySelector({ metadata: { name: PS, namespace: NS } } as never);
    expect(selector, "I1: sn0 selects neither the application nor the proxies").toEqual(proxies);
    const serving = this.cluster
      .list()
      .filter((o) => o.kind === "Pod" && (o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    expect(serving.length, "I1: sn0 selects proxies, but none is Ready").toBeGreaterThanOrEqual(1);
  }

  /** I2, I3 and I4, once everything converged. */
  async checkConvergedAfterReconcile(): Promise<void> {
    const writes = this.cluster.writes;
    const events = this.cluster.events.length;
    await this.#reconcile();
    expect(this.cluster.writes - writes, "I4: a second reconcile with nothing changed writes").toBe(0);
    expect(this.cluster.events.length - events, "I4: a second reconcile publishes events").toBe(0);
  }

  checkConverged(): void {
    const ps = this.cluster.find("msvcbench.io/v1alpha1", "ProxyService", NS, PS);
    if (ps === undefined) this.checkRestored();
    else if (ps.metadata.deletionTimestamp === undefined) this.checkNothingUnwanted(ps as ProxyService & KubeObject);
  }

  /** I2: with the ProxyService gone, sn0 is what the user last made of it (or gone, if they deleted it). */
  checkRestored(): void {
    const sn0 = this.cluster.find("v1", "Service", NS, "sn0") as (V1Service & KubeObject) | undefined;
    const original = this.model.original;
    if (original === undefined) {
      expect(sn0, "I2: sn0 was deleted by the user, and the operator's own sn0 must go with the ProxyService").toBeUndefined();
      return;
    }
    expect(sn0, "I2: sn0 is gone after the restore").toBeDefined();
    expect(sn0?.spec?.selector, "I2: restored selector").toEqual(original.selector);
    expect((sn0?.spec?.ports ?? []).map(normalizePort), "I2: restored ports").toEqual(original.ports.map(normalizePort));
    expect(sn0?.metadata.annotations?.[Annotations.takeover], "I2: the takeover record is left on sn0").toBeUndefined();
    const owned = this.cluster.list().filter((o) => (o.metadata.ownerReferences ?? []).length > 0);
    expect(owned.map((o) => `${o.kind}/${o.metadata.name}`), "objects left after the ProxyService is gone").toEqual([]);
  }

  /** I3: nothing controlled by the ProxyService exists that its current spec does not want. */
  checkNothingUnwanted(ps: ProxyService & KubeObject): void {
    const c = this.cluster;
    const spec = withDefaults(ps).spec;
    let state;
    try {
      state = desired(withDefaults(ps), { service: c.find("v1", "Service", NS, "sn0") as never, target: c.find("v1", "Service", NS, spec.target) as never });
    } catch (err) {
      if (err instanceof SpecError) return; // the operator touches nothing while the spec does not fit
      throw err;
    }
    if (state.kind !== "desired") return;
    const wanted = new Set(desiredOwnedObjects(state).map((o) => `${o.kind}/${o.metadata.name}`));
    const owned = c.list().filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === ps.metadata.uid));
    const unwanted = owned.map((o) => `${o.kind}/${o.metadata.name}`).filter((k) => !wanted.has(k));
    expect(unwanted, "I3: owned objects the spec does not want").toEqual([]);
  }
}

function userService(name: string, ports: readonly V1ServicePort[]): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NS },
    spec: { type: "ClusterIP", clusterIP: "10.96.0.10", selector: { ...APP_SELECTOR }, ports: ports.map((p) => ({ ...p })) },
  };
}

const sameRecord = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

function rootCause(err: unknown): unknown {
  let e = err;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  return e;
}

const isApiError = (err: unknown): boolean => typeof (err as { status?: unknown })?.status === "number";

/** Runs one sequence; the world checks I1 after every step and I2-I4 whenever it settles. */
const transitions: string[] = [];

async function runSequence(actions: readonly (UserAction | ProxyFault)[]): Promise<void> {
  const world = new InMemoryWorld();
  world.onTransition = (t) => transitions.push(t);
  for (const action of actions) {
    await world.do(action);
    world.checkNeverPointsAtNothing();
    if (action.kind === "settle") await world.checkConvergedAfterReconcile();
  }
}

const SEQUENCES = Number(process.env.RESTORE_MODEL_RUNS ?? 10_000);

describe("the restore promise under random user actions (in-memory API server)", () => {
  it(`holds I1-I4 over ${SEQUENCES} random sequences of user actions and proxy faults`, { timeout: 600_000 }, async () => {
    let steps = 0;
    await fc.assert(
      fc.asyncProperty(userActionsAndFaults(14), async (actions) => {
        steps += actions.length;
        try {
          await runSequence(actions);
        } catch (err) {
          throw new Error(`${err instanceof Error ? err.message : String(err)}\nsequence:\n${describeActions(actions)}`, { cause: err });
        }
      }),
      { numRuns: SEQUENCES, seed: Number(process.env.RESTORE_MODEL_SEED ?? 20261202) },
    );
    const count = (t: string): number => transitions.filter((x) => x === t).length;
    console.log(`restore model: ${SEQUENCES} sequences, ${steps} steps, ${count("fellBack")} fallbacks, ${count("tookOverAgain")} takeovers again`);
    expect(steps).toBeGreaterThan(SEQUENCES);
    // The generator reaches the availability rule both ways, so I1 was really put to the test.
    expect(count("fellBack")).toBeGreaterThan(SEQUENCES / 20);
    expect(count("tookOverAgain")).toBeGreaterThan(SEQUENCES / 50);
  });
});
