// How long `render` takes for 1,000 ProxyServices: defaults + desired() (what the operator runs
// on every reconcile), and the same plus YAML output (what `proxy-service render` prints).
// Usage: npx tsx bench/render/render.ts [count]   -> prints a summary, writes bench/results/render.json
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { V1Service } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { withDefaults } from "../../src/api/defaults.js";
import type { ProxyService } from "../../src/api/types.js";
import { desired } from "../../src/render/desired.js";
import { objectsInApplyOrder } from "../../src/render/documents.js";

const count = Number(process.argv[2] ?? 1000);
const rounds = 7;

/** 1,000 inputs: ProxyService i fronts Service svc-i (two ports), in one of 10 namespaces. */
function inputs(n: number): { proxyService: ProxyService; service: V1Service }[] {
  return Array.from({ length: n }, (_, i) => {
    const namespace = `ns-${i % 10}`;
    return {
      proxyService: {
        apiVersion: "msvcbench.io/v1alpha1",
        kind: "ProxyService",
        metadata: { name: `ps-${i}`, namespace, uid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` },
        spec: { serviceName: `svc-${i}`, port: 80, loadBalancer: i % 2 === 0 ? "LEAST_REQUEST" : "ROUND_ROBIN" },
      },
      service: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `svc-${i}`, namespace },
        spec: { selector: { app: `app-${i}` }, ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "metrics", port: 9100 }] },
      },
    };
  });
}

function renderAll(items: ReturnType<typeof inputs>, yaml: boolean): number {
  let objects = 0;
  for (const { proxyService, service } of items) {
    const outcome = desired(withDefaults(proxyService), { service });
    if (outcome.kind !== "desired") throw new Error(`${proxyService.metadata.name}: ${outcome.message}`);
    for (const object of objectsInApplyOrder(outcome)) {
      if (yaml) stringify(object, { lineWidth: 0, aliasDuplicateObjects: false });
      objects++;
    }
  }
  return objects;
}

function measure(yaml: boolean): { medianMs: number; minMs: number; objects: number } {
  const items = inputs(count);
  renderAll(items, yaml); // warm-up: JIT and module initialisation are not what we measure
  const times: number[] = [];
  let objects = 0;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    objects = renderAll(items, yaml);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { medianMs: round(times[Math.floor(times.length / 2)]!), minMs: round(times[0]!), objects };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

const desiredOnly = measure(false);
const withYaml = measure(true);
const result = {
  benchmark: "render",
  proxyServices: count,
  rounds,
  desired: { ...desiredOnly, perProxyServiceUs: round((desiredOnly.medianMs * 1000) / count) },
  desiredAndYaml: { ...withYaml, perProxyServiceUs: round((withYaml.medianMs * 1000) / count) },
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? "unknown",
};
const out = path.resolve(import.meta.dirname, "../results/render.json");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `render of ${count} ProxyServices (median of ${rounds}): desired() ${desiredOnly.medianMs} ms ` +
    `(${result.desired.perProxyServiceUs} us each, ${desiredOnly.objects} objects); with YAML output ${withYaml.medianMs} ms`,
);
console.log(`wrote ${path.relative(process.cwd(), out)}`);
