/**
 * Prints the simulator-vs-closed-form validation table (the same cases as
 * test/sim/validation.test.ts, over several seeds) as Markdown. Run: npx tsx bench/sim/validate.ts
 */
import { erlangKM1MeanResponse, mm1MeanResponse, mmcMeanResponse, powerOfDMeanResponse } from "../../src/sim/closed-forms.js";
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import { simulate } from "../../src/sim/simulate.js";

interface Case {
  readonly name: string;
  readonly config: Partial<SimConfig>;
  readonly exact: number;
  readonly formula: string;
}

const SEEDS = [1, 2, 3];
const cases: Case[] = [
  { name: "random, R=20, rho=0.8", config: { policy: "random", replicas: 20, load: 0.8 }, exact: mm1MeanResponse(0.8), formula: "M/M/1: 1/(mu - lambda/R)" },
  { name: "round-robin, R=10, rho=0.8", config: { policy: "round-robin", replicas: 10, load: 0.8 }, exact: erlangKM1MeanResponse(10, 0.8), formula: "E_10/M/1: 1/(mu(1 - sigma))" },
  { name: "least-request d=2, R=1000, rho=0.9", config: { policy: "least-request", choices: 2, replicas: 1000, load: 0.9 }, exact: powerOfDMeanResponse(2, 0.9), formula: "mean field: sum rho^(2^i - 2)" },
  { name: "least-request all (JSQ), R=20, rho=0.8", config: { policy: "least-request", choices: "all", replicas: 20, load: 0.8 }, exact: mmcMeanResponse(20, 0.8), formula: "M/M/20 Erlang C (floor)" },
  { name: "least-request d=2, R=20, rho=0.8", config: { policy: "least-request", choices: 2, replicas: 20, load: 0.8 }, exact: mmcMeanResponse(20, 0.8), formula: "M/M/20 Erlang C (floor)" },
];

console.log("| case (one balancer, exponential service, 2M requests) | closed form | value | simulated mean (seeds 1, 2, 3) | sim / closed form |");
console.log("| --- | --- | ---: | ---: | ---: |");
for (const c of cases) {
  const means = SEEDS.map((seed) => simulate({ ...DEFAULT_CONFIG, mode: "global", requests: 2_000_000, seed, ...c.config }).mean);
  const ratios = means.map((m) => m / c.exact);
  console.log(`| ${c.name} | ${c.formula} | ${c.exact.toFixed(4)} | ${means.map((m) => m.toFixed(4)).join(", ")} | ${ratios.map((r) => r.toFixed(4)).join(", ")} |`);
}
