import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { withDefaults } from "../../../src/api/defaults.js";
import { SpecError } from "../../../src/api/errors.js";
import { Annotations, normalizePort, observeRecord } from "../../../src/api/takeover.js";
import type { ProxyService } from "../../../src/api/types.js";
import { desired as render } from "../../../src/render/desired.js";
import { proxySelector } from "../../../src/render/metadata.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { isConflict } from "../../../src/kube/errors.js";
import { resourceFor } from "../../../src/kube/resources.js";
import { createTestNamespace } from "../support/cluster.js";
import { waitFor } from "../../support/wait-for.js";
import {
  APP_POD_LABELS,
  APP_SELECTOR,
  APP_SELECTOR_NARROW,
  INITIAL_PORTS,
  USER_TARGET,
  describeActions,
  desiredOwnedObjects,
  editPorts,
  isAcceptedByCrd,
  specOf,
  userActions,
  type UserAction,
} from "../../support/user-actions.js";
import { useOperator } from "./harness.js";
import { admin, apply, currentAdminKubeConfig, get, mergePatch, readyAddresses, readyPodIps, remove, startOperator, type OperatorProcess } from "./support.js";

/** desired() as the operator and the CLI call it: with the record of spec.serviceName decoded once. */
const desired = (ps: Parameters<typeof render>[0], observed: Parameters<typeof render>[1]): ReturnType<typeof render> =>
  render(ps, { ...observed, ...observeRecord(observed.service) });

// Issue 10, part 2 (integration level): the same generator as the unit level (test/support/user-actions.ts),
// seeded and replayable, against the real API server, its controllers and garbage collector, and the real
// operator process under its shipped RBAC. Sequences run in parallel, one namespace each, under one operator
// per batch (a kill restarts it for the whole batch, which is one more thing the others must survive).

const SEQUENCES = Number(process.env.RESTORE_MODEL_IT_RUNS ?? 50);
const BATCH = 10;
const BASE_SEED = Number(process.env.RESTORE_MODEL_IT_SEED ?? 20261202);
const PS = "ps-s0";
const PS_API = "msvcbench.io/v1alpha1";
const STEP_TIMEOUT = 60_000;

type Service = V1Service & KubeObject;

interface Model {
  spec?: ProxyService["spec"];
  original?: { selector: Record<string, string>; ports: V1ServicePort[] };
}

/** The batch's operator, restarted by a killOperator action (one restart at a time). */
class SharedOperator {
  #process: OperatorProcess | undefined;
  #restarting: Promise<void> = Promise.resolve();
  constructor(readonly kubeconfig: string, readonly namespaces: string, readonly leaseNamespace: string) {}
  async start(): Promise<void> {
    this.#process = await startOperator(this.kubeconfig, this.namespaces, ["--leader-election-namespace", this.leaseNamespace, "--no-leader-elect"]);
  }
  kill(): Promise<void> {
    this.#restarting = this.#restarting.then(async () => {
      await this.#process?.stop("SIGKILL");
      await this.start();
    });
    return this.#restarting;
  }
  stop(): Promise<unknown> {
    return this.#process?.stop("SIGTERM") ?? Promise.resolve();
  }
}

function userService(name: string, ports: readonly V1ServicePort[]): KubeObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { type: "ClusterIP", selector: { ...APP_SELECTOR }, ports: ports.map((p) => ({ ...p })) } };
}

function appDeployment(replicas: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "s0" },
    spec: {
      replicas,
      selector: { matchLabels: { ...APP_POD_LABELS } },
      template: {
        metadata: { labels: { ...APP_POD_LABELS } },
        spec: {
          containers: [
            { name: "app", image: "registry.example/s0:1", ports: [{ name: "http", containerPort: 8080 }, { name: "web", containerPort: 8081 }, { name: "https", containerPort: 8443 }] },
          ],
        },
      },
    },
  };
}

const same = (a: Record<string, string> | undefined, b: Record<string, string>): boolean =>
  Object.keys(a ?? {}).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a?.[k] === v);

/** One sequence in its own namespace, with the model of what the user believes. */
class RealWorld {
  readonly model: Model = { original: { selector: { ...APP_SELECTOR }, ports: INITIAL_PORTS.map((p) => ({ ...p })) } };
  constructor(readonly ns: string, readonly operator: SharedOperator) {}

  async setUp(): Promise<void> {
    await apply(appDeployment(2), this.ns, "kubectl");
    await apply(userService("sn0", INITIAL_PORTS), this.ns, "kubectl");
    await waitFor(async () => (await readyAddresses(this.ns, "sn0")).length === 2, { timeout: STEP_TIMEOUT, description: `${this.ns}: sn0 reaches the app` });
  }

  ps = (): Promise<(ProxyService & KubeObject) | undefined> => get<ProxyService & KubeObject>(PS_API, "ProxyService", this.ns, PS);
  service = (name: string): Promise<Service | undefined> => get<Service>("v1", "Service", this.ns, name);

  async do(action: UserAction): Promise<void> {
    const ns = this.ns;
    const ps = await this.ps();
    const sn0 = await this.service("sn0");
    const original = this.model.original;
    switch (action.kind) {
      case "createProxyService": {
        const spec = specOf(action.edits);
        if (ps !== undefined || !isAcceptedByCrd(spec)) return;
        await apply({ apiVersion: PS_API, kind: "ProxyService", metadata: { name: PS }, spec }, ns, "kubectl");
        this.model.spec = spec;
        return;
      }
      case "editSpec": {
        if (ps === undefined || ps.metadata.deletionTimestamp !== undefined || this.model.spec === undefined) return;
        const spec = specOf([action.edit], this.model.spec);
        if (!isAcceptedByCrd(spec)) return;
        const value = action.edit.field === "callerTls" ? { mode: action.edit.value } : action.edit.value;
        await mergePatch(PS_API, "ProxyService", ns, PS, { spec: { [action.edit.field]: value ?? null } });
        this.model.spec = spec;
        return;
      }
      case "deleteProxyService":
        await remove(PS_API, "ProxyService", ns, PS);
        delete this.model.spec;
        return;
      case "revertSelector": {
        if (sn0 === undefined || original === undefined) return;
        const selector = { ...(action.narrow ? APP_SELECTOR_NARROW : APP_SELECTOR) };
        await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn0" }, spec: { selector } }, ns, "argocd-controller");
        original.selector = selector;
        return;
      }
      case "revertSelectorAndPorts":
        if (sn0 === undefined || original === undefined) return;
        await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn0" }, spec: { selector: { ...APP_SELECTOR }, ports: original.ports } }, ns, "argocd-controller");
        original.selector = { ...APP_SELECTOR };
        return;
      case "editPorts":
        if (sn0 === undefined || original === undefined) return;
        if (!(await this.#editPortsAsKubectlEdit(action.edit))) return;
        original.ports = editPorts(original.ports, action.edit);
        return;
      case "scaleApp":
        await mergePatch("apps/v1", "Deployment", ns, "s0", { spec: { replicas: action.replicas } });
        return;
      case "deleteService":
        await remove("v1", "Service", ns, "sn0");
        delete this.model.original;
        return;
      case "recreateService":
        if (sn0 !== undefined) return;
        await apply(userService("sn0", INITIAL_PORTS), ns, "kubectl");
        this.model.original = { selector: { ...APP_SELECTOR }, ports: INITIAL_PORTS.map((p) => ({ ...p })) };
        return;
      case "createUserTarget":
        if ((await this.service(USER_TARGET)) === undefined) await apply(userService(USER_TARGET, original?.ports ?? INITIAL_PORTS), ns, "kubectl");
        return;
      case "deleteTarget":
        await remove("v1", "Service", ns, (this.model.spec?.target as string | undefined) ?? "sn0-ep");
        return;
      case "killOperator":
        await this.operator.kill();
        return;
      case "settle":
        await this.settle();
        return;
      case "tick":
        return; // real time is not ours to move: the revert window is covered by the unit level
    }
  }

  /**
   * A port edit as `kubectl edit` makes it: read, change, write back under the read's resourceVersion, and on a
   * conflict read again. A write without that precondition would put back the ports it read, and when the
   * operator restored the Service in between, that is the user undoing the restore, not the operator losing it
   * (sequence 31 of seed 20261202 did exactly that in CI). Returns false when sn0 is gone meanwhile.
   */
  async #editPortsAsKubectlEdit(edit: Parameters<typeof editPorts>[1]): Promise<boolean> {
    for (;;) {
      const sn0 = await this.service("sn0");
      if (sn0 === undefined) return false;
      const ports = editPorts(sn0.spec?.ports ?? [], edit);
      const written = await mergePatch("v1", "Service", this.ns, "sn0", { metadata: { resourceVersion: sn0.metadata.resourceVersion }, spec: { ports } })
        .then(() => true)
        .catch((err: unknown) => {
          if (isConflict(err)) return false;
          throw err;
        });
      if (written) return true;
    }
  }

  /** I1, from the API server's state: sn0 selects the application or proxies with a Ready pod, never nothing. */
  async checkNeverPointsAtNothing(): Promise<void> {
    const sn0 = await this.service("sn0");
    if (sn0 === undefined) return;
    const selector = sn0.spec?.selector;
    if (same(selector, APP_SELECTOR) || same(selector, APP_SELECTOR_NARROW)) return;
    const proxies = proxySelector({ metadata: { name: PS, namespace: this.ns } } as never);
    expect(selector, "I1: sn0 selects neither the application nor the proxies").toEqual(proxies);
    const label = Object.entries(proxies).map(([k, v]) => `${k}=${v}`).join(",");
    expect((await readyPodIps(this.ns, label)).length, "I1: sn0 selects proxies, but no proxy pod is Ready").toBeGreaterThan(0);
  }

  /** Waits until everything converged and the promise holds: I2 once the ProxyService is gone, I3 and the EndpointSlices while it stands. */
  async settle(): Promise<void> {
    let last = "";
    await waitFor(async () => {
      last = await this.#whyNotConverged();
      return last === "";
    }, { timeout: STEP_TIMEOUT, interval: 250, description: `${this.ns} converged` }).catch((err: unknown) => {
      throw new Error(`${this.ns} did not converge: ${last}`, { cause: err });
    });
  }

  /** "" when converged and the promise holds, else what is still wrong (shown on timeout). */
  async #whyNotConverged(): Promise<string> {
    const ps = await this.ps();
    const sn0 = await this.service("sn0");
    const owned = await this.#owned();
    if (ps === undefined) {
      const original = this.model.original;
      if (owned.length > 0) return `owned objects left: ${owned.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`;
      if (original === undefined) return sn0 === undefined ? "" : "I2: sn0 was deleted by the user, yet exists after the ProxyService went";
      if (sn0 === undefined) return "I2: sn0 is gone";
      if (!same(sn0.spec?.selector, original.selector)) return `I2: selector ${JSON.stringify(sn0.spec?.selector)}, want ${JSON.stringify(original.selector)}`;
      const ports = (sn0.spec?.ports ?? []).map(normalizePort);
      if (JSON.stringify(ports) !== JSON.stringify(original.ports.map(normalizePort))) return `I2: ports ${JSON.stringify(ports)}, want ${JSON.stringify(original.ports)}`;
      if (sn0.metadata.annotations?.[Annotations.takeover] !== undefined) return "I2: the takeover record is left on sn0";
      return "";
    }
    if (ps.metadata.deletionTimestamp !== undefined) return "the ProxyService is being deleted";
    if (ps.status?.observedGeneration !== ps.metadata.generation) return `status of generation ${ps.status?.observedGeneration}, spec ${ps.metadata.generation}`;
    const ready = ps.status?.conditions?.find((c) => c.type === "Ready");
    if (ready?.reason === "ProxyNotAvailable") return "no proxy Ready yet";
    const unwanted = this.#unwanted(ps, sn0, await this.service(withDefaults(ps).spec.target), owned);
    if (unwanted.length > 0) return `I3: owned objects the spec does not want: ${unwanted.join(", ")}`;
    if (sn0 !== undefined && ready?.status === "True") {
      const proxies = Object.entries(proxySelector(withDefaults(ps))).map(([k, v]) => `${k}=${v}`).join(",");
      const want = (await readyPodIps(this.ns, proxies)).sort();
      const have = (await readyAddresses(this.ns, "sn0")).sort();
      if (JSON.stringify(have) !== JSON.stringify(want)) return `sn0's ready endpoints ${JSON.stringify(have)} are not the proxies' ${JSON.stringify(want)}`;
    }
    return "";
  }

  async #owned(): Promise<KubeObject[]> {
    const kinds: [string, string][] = [
      ["v1", "services"], ["v1", "serviceaccounts"], ["apps/v1", "deployments"], ["autoscaling/v2", "horizontalpodautoscalers"],
      ["policy/v1", "poddisruptionbudgets"], ["networking.istio.io/v1", "gateways"], ["networking.istio.io/v1", "virtualservices"],
      ["networking.istio.io/v1", "destinationrules"], ["networking.istio.io/v1alpha3", "envoyfilters"],
    ];
    const out: KubeObject[] = [];
    for (const [apiVersion, plural] of kinds) {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const list = await admin.request<{ items: KubeObject[] }>("GET", `${base}/namespaces/${this.ns}/${plural}`);
      out.push(...list.items.filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.kind === "ProxyService")).map((o) => ({ ...o, kind: plural })));
    }
    return out;
  }

  /** I3 as the render says it (the spec's desired objects, by kind and name), when the spec fits the Services. */
  #unwanted(ps: ProxyService & KubeObject, sn0: Service | undefined, target: Service | undefined, owned: KubeObject[]): string[] {
    let state;
    try {
      state = desired(withDefaults(ps), { service: sn0, target });
    } catch (err) {
      if (err instanceof SpecError) return [];
      throw err;
    }
    if (state.kind !== "desired") return [];
    const wanted = new Set(desiredOwnedObjects(state).map((o) => `${resourceFor(o.apiVersion, o.kind).plural}/${o.metadata.name}`));
    return owned
      .filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === ps.metadata.uid))
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .filter((k) => !wanted.has(k));
  }
}

/** The i-th sequence: seeded, so a failure is replayed with RESTORE_MODEL_IT_SEED and the index. */
const sequenceOf = (i: number): UserAction[] => fc.sample(userActions(6), { seed: BASE_SEED + i, numRuns: 1 })[0]!;

describe("the restore promise under random user actions (real API server, real operator)", () => {
  const h = useOperator("op-model", [], false);

  it(`holds I1-I3 over ${SEQUENCES} seeded sequences`, { timeout: 1_800_000 }, async () => {
    let steps = 0;
    for (let start = 0; start < SEQUENCES; start += BATCH) {
      const indexes = Array.from({ length: Math.min(BATCH, SEQUENCES - start) }, (_, k) => start + k);
      const namespaces = await Promise.all(indexes.map((i) => createTestNamespace(`model-${i}`, currentAdminKubeConfig())));
      const operator = new SharedOperator(h.kubeconfig, namespaces.map((n) => n.name).join(","), h.ns);
      await operator.start();
      try {
        await Promise.all(
          indexes.map(async (i, k) => {
            const actions = sequenceOf(i);
            const world = new RealWorld(namespaces[k]!.name, operator);
            const done: UserAction[] = [];
            try {
              await world.setUp();
              for (const action of actions) {
                done.push(action);
                await world.do(action);
                await world.checkNeverPointsAtNothing();
                steps++;
              }
            } catch (err) {
              throw new Error(
                `sequence ${i} (seed ${BASE_SEED + i}) failed at step ${done.length}: ${err instanceof Error ? err.message : String(err)}\n${describeActions(done)}`,
                { cause: err },
              );
            }
          }),
        );
      } finally {
        await operator.stop();
        for (const n of namespaces) await n.cleanup();
      }
    }
    console.log(`restore model (integration): ${SEQUENCES} sequences, ${steps} steps`);
    expect(steps).toBeGreaterThanOrEqual(SEQUENCES * 4);
  });
});
