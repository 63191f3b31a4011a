// The chaos benchmark (issue 16, part 5): test/integration/chaos/chaos.ts with 1,000 faults (or --faults N)
// against 5 ProxyServices on a private cluster; prints the report and writes bench/results/chaos.json.
// Usage: npx tsx bench/chaos/run.ts [--faults 1000] [--seed 20261203] [--proxy-services 5]
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PrivateCluster } from "../../test/integration/cluster/local-cluster.js";
import { installCrdAndRole, repoRoot, useCluster } from "../../test/integration/operator/support.js";
import { runChaos } from "../../test/integration/chaos/chaos.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const faults = flag("--faults", 1000);
const seed = flag("--seed", 20261203);
const proxyServices = flag("--proxy-services", 5);

const cluster = new PrivateCluster();
try {
  await cluster.up();
  useCluster(cluster.kubeConfig());
  await installCrdAndRole();
  const { timelines: _timelines, explain, ...report } = await runChaos({ cluster, faults, seed, proxyServices, log: (l) => process.stderr.write(`${l}\n`) });
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, loadAverage: os.loadavg() },
    command: `npx tsx bench/chaos/run.ts --faults ${faults} --seed ${seed} --proxy-services ${proxyServices}`,
    ...report,
  };
  console.log(JSON.stringify(result, null, 2));
  for (const i of report.services.keys()) process.stderr.write(`${explain(i, 2000)}\n`);
  const out = path.join(repoRoot, "bench/results/chaos.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await cluster.destroy();
}
