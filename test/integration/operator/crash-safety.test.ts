import { randomInt } from "node:crypto";
import { Rng } from "../../../src/sim/rng.js";
import { describe, expect, it } from "vitest";
import { Annotations, observeRecord } from "../../../src/api/takeover.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { admin, apply, get, isReady, remove, startOperator, type OperatorProcess, type ProxyServiceObject } from "./support.js";

// Acceptance 7 of issue 4: SIGKILL the operator at random moments (seeded; the seed is printed, and
// CRASH_SEED=<n> replays it) while 20 ProxyServices are created and while they are deleted, restarting it
// each time. Every Service must end correct (taken over, or restored exactly) and nothing orphaned.

const COUNT = 20;
const KILLS_PER_PHASE = 16;

interface Service extends KubeObject {
  spec: { clusterIP?: string; selector?: Record<string, string>; ports?: unknown[] };
}

const OWNED_PLURALS = [
  "/apis/apps/v1/namespaces/NS/deployments",
  "/api/v1/namespaces/NS/serviceaccounts",
  "/apis/autoscaling/v2/namespaces/NS/horizontalpodautoscalers",
  "/apis/policy/v1/namespaces/NS/poddisruptionbudgets",
  "/apis/networking.istio.io/v1/namespaces/NS/gateways",
  "/apis/networking.istio.io/v1/namespaces/NS/virtualservices",
  "/apis/networking.istio.io/v1/namespaces/NS/destinationrules",
  "/api/v1/namespaces/NS/services",
];

describe("crash safety", () => {
  const h = useOperator("op-crash", [], false);
  const seed = Number(process.env.CRASH_SEED ?? randomInt(2 ** 31));
  const rng = new Rng(seed); // the simulator's seeded generator: a failing run replays exactly
  const args = ["--no-leader-elect"];

  /** Kills the running operator after a random moment in [0, 1.5 s) of its life, `kills` times, restarting it each time. */
  async function killRepeatedly(kills: number): Promise<void> {
    for (let i = 0; i < kills; i++) {
      const op: OperatorProcess = h.operator ?? (await startOperator(h.kubeconfig, h.ns, args));
      const delay = Math.floor(rng.uniform() * 1500);
      // The random kill moment itself (not a wait for a condition): the point is to stop mid-reconcile.
      await new Promise((r) => setTimeout(r, delay));
      await op.stop("SIGKILL");
      h.operator = await startOperator(h.kubeconfig, h.ns, args);
    }
  }

  it(`ends with every Service correct and nothing orphaned after ${2 * KILLS_PER_PHASE} SIGKILLs`, { timeout: 900_000 }, async () => {
    console.log(`crash-safety seed: ${seed} (replay with CRASH_SEED=${seed})`);
    const { ns } = h;
    const originals = new Map<string, Service>();
    for (let i = 0; i < COUNT; i++) {
      const svc = await apply(
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: `sn${i}` },
          spec: { selector: { app: `s${i}` }, ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "metrics", port: 9090 }] },
        },
        ns,
      );
      originals.set(`sn${i}`, svc as Service);
    }
    h.operator = await startOperator(h.kubeconfig, ns, args);

    // Phase 1: create 20 ProxyServices while the operator is killed again and again.
    for (let i = 0; i < COUNT; i++) {
      await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: `ps${i}` }, spec: { serviceName: `sn${i}`, port: 80 } }, ns);
    }
    await killRepeatedly(KILLS_PER_PHASE);
    await waitFor(async () => {
      const list = await admin.request<{ items: ProxyServiceObject[] }>("GET", `/apis/msvcbench.io/v1alpha1/namespaces/${ns}/proxyservices`);
      return list.items.length === COUNT && list.items.every(isReady);
    }, { timeout: 180_000, description: "all 20 ProxyServices Ready" });
    for (let i = 0; i < COUNT; i++) {
      const svc = (await get<Service>("v1", "Service", ns, `sn${i}`))!;
      const original = originals.get(`sn${i}`)!;
      expect(svc.spec.clusterIP).toBe(original.spec.clusterIP);
      expect(svc.spec.selector).toEqual({ "proxyservice.msvcbench.io/proxy": `${ns}.ps${i}` });
      const record = observeRecord(svc as Parameters<typeof observeRecord>[0]).record!;
      expect(record.proxyService).toBe(`ps${i}`);
      expect(record.selector).toEqual(original.spec.selector);
    }

    // Phase 2: delete them all while the operator is killed again and again.
    for (let i = 0; i < COUNT; i++) await remove("msvcbench.io/v1alpha1", "ProxyService", ns, `ps${i}`);
    await killRepeatedly(KILLS_PER_PHASE);
    await waitFor(async () => {
      const list = await admin.request<{ items: unknown[] }>("GET", `/apis/msvcbench.io/v1alpha1/namespaces/${ns}/proxyservices`);
      return list.items.length === 0;
    }, { timeout: 180_000, description: "all ProxyServices deleted" });
    for (let i = 0; i < COUNT; i++) {
      const svc = (await get<Service>("v1", "Service", ns, `sn${i}`))!;
      const original = originals.get(`sn${i}`)!;
      expect(svc.spec.clusterIP, `sn${i}`).toBe(original.spec.clusterIP);
      expect(svc.spec.selector, `sn${i}`).toEqual(original.spec.selector);
      expect(svc.spec.ports, `sn${i}`).toEqual(original.spec.ports);
      expect(svc.metadata.annotations?.[Annotations.takeover], `sn${i}`).toBeUndefined();
    }
    // Nothing orphaned: no object labelled as ours is left (the garbage collector may take a moment).
    await waitFor(async () => {
      for (const p of OWNED_PLURALS) {
        const list = await admin.request<{ items: KubeObject[] }>("GET", p.replace("NS", ns), {
          query: { labelSelector: "app.kubernetes.io/managed-by=proxy-service-operator" },
        });
        if (list.items.length > 0) return false;
      }
      return true;
    }, { timeout: 60_000, description: "no owned object left" });
  });
});
