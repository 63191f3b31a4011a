// The takeover as the callers' proxies see it (issue 9, 4.3), for the operator's benchmark: the time from
// applying a ProxyService until the EDS that the real istiod sends to a sidecar-injected caller lists only
// the proxy pods, next to the floor, the same time for a plain selector change of a Service to pods that
// already run. Also the fewest healthy endpoints the caller saw meanwhile: the "no gap" promise.
import type { KubeObject } from "../../src/kube/object.js";
import { proxySelectorValue } from "../../src/api/labels.js";
import { waitFor } from "../../test/support/wait-for.js";
import { apply, mergePatch, remove } from "../../test/integration/operator/support.js";
import { createCaller, enableInjection, healthy, isReadyPod, pods, watchEds, type EdsUpdate } from "../../test/integration/istio/support.js";

export interface XdsTakeoverResult {
  samples: number;
  /** Applying the ProxyService until the caller's EDS lists only the proxies (the proxy pod's start included). */
  takeoverMs: { median: number; max: number };
  /** A Service's selector changed to running pods until the caller's EDS lists only those. */
  floorMs: { median: number; max: number };
  ratioMedian: number;
  /** The fewest healthy endpoints in any caller EDS update during any takeover (0 would be a gap). */
  fewestHealthyDuringTakeover: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
const ips = (u: EdsUpdate): string => JSON.stringify(healthy(u).map((a) => a.split(":")[0]!).sort());
const readyIps = async (ns: string, selector: string): Promise<string> =>
  JSON.stringify((await pods(ns, selector)).filter(isReadyPod).map((p) => p.status!.podIP!).sort());

function appDeployment(name: string, replicas: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "registry.example/app:1", ports: [{ name: "http", containerPort: 8080 }] }] } },
    },
  };
}

const service = (name: string, app: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name },
  spec: { selector: { app }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
});

/** Watches the caller's EDS for Service `name` while `change` runs, until it lists exactly `wanted()`'s addresses. */
async function timeEds(caller: string, ns: string, name: string, change: () => Promise<unknown>, wanted: () => Promise<string>): Promise<{ ms: number; fewest: number }> {
  const watch = await watchEds(caller, `outbound|80||${name}.${ns}.svc.cluster.local`);
  try {
    const before = await readyIps(ns, "app=xds-app");
    await waitFor(() => ips(watch.updates.at(-1)!) === before, { timeout: 60_000, description: `${name}: the caller's EDS lists the app pods` });
    const from = watch.updates.length - 1;
    // Update times are the watch's receipt times (ms since the epoch), so the start is one too.
    const startedAt = Date.now();
    await change();
    const done = await waitFor(async () => {
      const want = await wanted();
      const u = watch.updates.at(-1)!;
      return want !== "[]" && ips(u) === want ? u : undefined;
    }, { timeout: 120_000, interval: 25, description: `${name}: the caller's EDS lists only the new endpoints` });
    const fewest = Math.min(...watch.updates.slice(from).map((u) => healthy(u).length));
    return { ms: done.at - startedAt, fewest };
  } finally {
    await watch.stop();
  }
}

/** Runs `samples` takeovers and floors in `ns`, which the running operator watches; leaves no ProxyService behind. */
export async function measureXdsTakeover(ns: string, samples: number): Promise<XdsTakeoverResult> {
  await enableInjection(ns);
  await apply(appDeployment("xds-app", 4), ns);
  await apply(appDeployment("xds-alt", 2), ns);
  const caller = await createCaller(ns, "xds-caller");
  await waitFor(async () => JSON.parse(await readyIps(ns, "app=xds-app")).length === 4 && JSON.parse(await readyIps(ns, "app=xds-alt")).length === 2, {
    timeout: 120_000,
    description: "the xDS benchmark's app pods Ready",
  });
  const takeover: number[] = [];
  const floor: number[] = [];
  let fewest = Infinity;
  for (let i = 0; i < samples; i++) {
    const svc = `xds-sn-${i}`;
    const ps = `xds-ps-${i}`;
    await apply(service(svc, "xds-app"), ns);
    const t = await timeEds(
      caller,
      ns,
      svc,
      () => apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: ps }, spec: { serviceName: svc, port: 80 } }, ns),
      () => readyIps(ns, `proxyservice.msvcbench.io/proxy=${proxySelectorValue(ns, ps)}`),
    );
    takeover.push(t.ms);
    fewest = Math.min(fewest, t.fewest);
    await remove("msvcbench.io/v1alpha1", "ProxyService", ns, ps);

    const plain = `xds-floor-${i}`;
    await apply(service(plain, "xds-app"), ns);
    const f = await timeEds(caller, ns, plain, () => mergePatch("v1", "Service", ns, plain, { spec: { selector: { app: "xds-alt" } } }), () => readyIps(ns, "app=xds-alt"));
    floor.push(f.ms);
    console.log(`  xDS sample ${i + 1}/${samples}: takeover ${Math.round(t.ms)} ms (fewest healthy ${t.fewest}), floor ${Math.round(f.ms)} ms`);
  }
  return {
    samples,
    takeoverMs: { median: Math.round(median(takeover)), max: Math.round(Math.max(...takeover)) },
    floorMs: { median: Math.round(median(floor)), max: Math.round(Math.max(...floor)) },
    ratioMedian: Math.round((median(takeover) / median(floor)) * 100) / 100,
    fewestHealthyDuringTakeover: fewest,
  };
}
