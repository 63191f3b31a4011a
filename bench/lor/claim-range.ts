/**
 * Where, in the model, do the published ratios appear? Runs the simulator (src/sim, HAProxy's draws
 * with replacement, exponential service) over callers, replicas and load beyond what the 2-core
 * testbed hosts, and prints the ratios sidecar LR(2) / ProxyService LR(2) and random / ProxyService
 * for the mean and p95 as a markdown table. Usage: `npx tsx bench/lor/claim-range.ts [exp|lognormal:cv]`.
 */
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import type { ServiceSpec } from "../../src/sim/distributions.js";
import { simulate } from "../../src/sim/simulate.js";
import { parseService } from "./random.js";
import { PUBLISHED } from "./tables.js";

const REQUESTS = 1_000_000;
const SERVICE_TEXT = process.argv[2] ?? "exp";
const SERVICE: ServiceSpec = parseService(SERVICE_TEXT);

function run(overrides: Partial<SimConfig>): { mean: number; p95: number } {
  const r = simulate({ ...DEFAULT_CONFIG, draws: "with-replacement", requests: REQUESTS, seed: 1, service: SERVICE, ...overrides });
  return { mean: r.mean, p95: r.p95 };
}

const x = (v: number): string => `${v.toFixed(2)}x`;
const p = PUBLISHED;
console.log(`Simulator, ${REQUESTS.toLocaleString("en")} requests per configuration, service ${SERVICE_TEXT}, LR(2) draws with replacement.\n`);
console.log("| rho | callers | replicas | ProxyService mean (x S) | sidecar / PS, mean | sidecar / PS, p95 | random / PS, mean | random / PS, p95 |");
console.log("|--:|--:|--:|--:|--:|--:|--:|--:|");
console.log(`| published | | | | **${x(p.sidecar.mean / p.proxy.mean)}** | **${x(p.sidecar.p95 / p.proxy.p95)}** | **${x(p.random.mean / p.proxy.mean)}** | **${x(p.random.p95 / p.proxy.p95)}** |`);
// Random does not depend on the callers: run it once per load and replica count.
const randomRuns = new Map<string, { mean: number; p95: number }>();
for (const load of [0.8, 0.9, 0.95]) {
  for (const callers of [30, 100, 300]) {
    for (const replicas of [10, 20, 50]) {
      const proxy = run({ load, callers, replicas, policy: "least-request", choices: 2, mode: "proxy", proxies: 1 });
      const sidecar = run({ load, callers, replicas, policy: "least-request", choices: 2, mode: "sidecar" });
      const key = `${load}/${replicas}`;
      const random = randomRuns.get(key) ?? run({ load, callers, replicas, policy: "random", choices: 1, mode: "global" });
      randomRuns.set(key, random);
      console.log(
        `| ${load} | ${callers} | ${replicas} | ${proxy.mean.toFixed(2)} | ${x(sidecar.mean / proxy.mean)} | ${x(sidecar.p95 / proxy.p95)} | ` +
          `${x(random.mean / proxy.mean)} | ${x(random.p95 / proxy.p95)} |`,
      );
    }
  }
}
