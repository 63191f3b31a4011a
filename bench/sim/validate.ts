/**
 * Prints the simulator-vs-closed-form validation table (the same cases as
 * test/sim/validation.test.ts, test/sim/alternatives.test.ts and test/sim/replica-faults.test.ts,
 * over several seeds) as Markdown. Run: npx tsx bench/sim/validate.ts
 */
import { erlangKM1MeanResponse, mm1MeanResponse, mmcMeanResponse, powerOfDMeanResponse } from "../../src/sim/closed-forms.js";
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import { DEFAULT_POLICY_PARAMS } from "../../src/sim/policy-params.js";
import { simulate, type SimResult } from "../../src/sim/simulate.js";

interface Case {
  readonly name: string;
  readonly config: Partial<SimConfig>;
  readonly exact: number;
  readonly formula: string;
  /** What is compared: the mean response time unless said otherwise. */
  readonly measure?: (r: SimResult) => number;
}

const SEEDS = [1, 2, 3];
const P = DEFAULT_POLICY_PARAMS;
const failedShare = (r: SimResult): number => r.failedFraction;
const cases: Case[] = [
  { name: "random, R=20, rho=0.8", config: { policy: "random", replicas: 20, load: 0.8 }, exact: mm1MeanResponse(0.8), formula: "M/M/1: 1/(mu - lambda/R)" },
  { name: "round-robin, R=10, rho=0.8", config: { policy: "round-robin", replicas: 10, load: 0.8 }, exact: erlangKM1MeanResponse(10, 0.8), formula: "E_10/M/1: 1/(mu(1 - sigma))" },
  { name: "least-request d=2, R=1000, rho=0.9", config: { policy: "least-request", choices: 2, replicas: 1000, load: 0.9 }, exact: powerOfDMeanResponse(2, 0.9), formula: "mean field: sum rho^(2^i - 2)" },
  { name: "least-request all (JSQ), R=20, rho=0.8", config: { policy: "least-request", choices: "all", replicas: 20, load: 0.8 }, exact: mmcMeanResponse(20, 0.8), formula: "M/M/20 Erlang C (floor)" },
  { name: "least-request d=2, R=20, rho=0.8", config: { policy: "least-request", choices: 2, replicas: 20, load: 0.8 }, exact: mmcMeanResponse(20, 0.8), formula: "M/M/20 Erlang C (floor)" },
  {
    name: "peak EWMA, average frozen (default RTT 1e9, decay 1e15), R=1000, rho=0.9",
    config: { policy: "peak-ewma", replicas: 1000, load: 0.9, params: { ...P, peakEwma: { defaultRtt: 1e9, decay: 1e15 } } },
    exact: powerOfDMeanResponse(2, 0.9),
    formula: "cost = k (outstanding + 1): power-of-two mean field",
  },
  {
    name: "ORCA round robin, all in blackout, R=10, rho=0.8",
    config: { policy: "orca-wrr", replicas: 10, load: 0.8, params: { ...P, orca: { ...P.orca, blackoutPeriod: 1e12, weightExpirationPeriod: 1e13 } } },
    exact: erlangKM1MeanResponse(10, 0.8),
    formula: "equal weights: round robin, E_10/M/1",
  },
  {
    name: "Prequal, 2 probes, pool 2, quantile 0, R=1000, rho=0.9",
    config: { policy: "prequal", replicas: 1000, load: 0.9, params: { ...P, prequal: { probeRate: 2, poolSize: 2, reuseBudget: 1, hotQuantile: 0, maxAge: 1e12 } } },
    exact: powerOfDMeanResponse(2, 0.9),
    formula: "least RIF of 2 fresh probes: power-of-two mean field",
  },
  {
    name: "random, R=10, one replica 2x slower, rho=0.4",
    config: { policy: "random", replicas: 10, load: 0.4, slow: { count: 1, factor: 2 } },
    exact: 0.1 * (2 / (1 - 0.8)) + 0.9 * (1 / (1 - 0.4)),
    formula: "M/M/1 mix: 0.1 s/(1 - s rho) + 0.9/(1 - rho)",
  },
  {
    name: "round-robin, R=10, rho=0.5, one replica always failing, ejection 5 errors / T=2000 (failed share)",
    config: {
      policy: "round-robin",
      replicas: 10,
      load: 0.5,
      failing: { count: 1, rate: 1, time: 0.01 },
      outlierDetection: { consecutiveErrors: 5, baseEjectionTime: 2000, maxEjectionTime: 2000, maxEjectionPercent: 10 },
    },
    exact: 5 / (5 * 2000 + 5 * 10),
    formula: "5 / (lambda T + 5 R)",
    measure: failedShare,
  },
];

console.log("| case (one balancer, exponential service, 2M requests) | closed form | value | simulated (seeds 1, 2, 3) | sim / closed form |");
console.log("| --- | --- | ---: | ---: | ---: |");
for (const c of cases) {
  const measure = c.measure ?? ((r: SimResult): number => r.mean);
  const values = SEEDS.map((seed) => measure(simulate({ ...DEFAULT_CONFIG, mode: "global", requests: 2_000_000, seed, ...c.config })));
  const digits = c.exact < 0.01 ? 6 : 4;
  const ratios = values.map((m) => m / c.exact);
  console.log(`| ${c.name} | ${c.formula} | ${c.exact.toFixed(digits)} | ${values.map((m) => m.toFixed(digits)).join(", ")} | ${ratios.map((r) => r.toFixed(4)).join(", ")} |`);
}
