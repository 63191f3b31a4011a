/**
 * How the proxies' default outlier detection was chosen (issue 19, docs/api.md): the share of
 * failed requests and the mean latency of the successful ones with one fast-failing replica
 * (every request, or half of them, answered with an error in 1 ms), one proxy and four, two
 * choices and a full scan, for a few values of consecutive errors and base ejection time; ten
 * simulated minutes at 60 callers, 20 replicas, load 0.8, 20 ms service. Prints markdown and
 * writes bench/results/outlier-defaults.json. Run: npx tsx bench/sim/outlier-defaults.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG, type SimConfig } from "../../src/sim/config.js";
import { simulate } from "../../src/sim/simulate.js";

const SERVICE_MS = 20;
const t = (seconds: number): number => (seconds * 1000) / SERVICE_MS;
const base: SimConfig = { ...DEFAULT_CONFIG, callers: 60, replicas: 20, load: 0.8, requests: 480_000, mode: "proxy" };
const rows: Array<Record<string, number | string>> = [];
console.log("| proxies, choices | failing replica's error rate | consecutive errors | base ejection | failed | mean (ms) | ejections |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const [proxies, choices] of [[1, 2], [1, "all"], [4, 2]] as const) {
  for (const rate of [1, 0.5]) {
    const failing = { count: 1, rate, time: 1 / SERVICE_MS };
    const settings: Array<readonly [string, SimConfig["outlierDetection"]]> = [["off", null]];
    for (const consecutiveErrors of [3, 5, 10]) {
      for (const baseSeconds of [10, 30]) {
        settings.push([`${consecutiveErrors} / ${baseSeconds}s`, { consecutiveErrors, baseEjectionTime: t(baseSeconds), maxEjectionTime: t(300), maxEjectionPercent: 10 }]);
      }
    }
    for (const [label, outlierDetection] of settings) {
      const r = simulate({ ...base, proxies, choices, failing, outlierDetection });
      const [errors, ejection] = label === "off" ? ["-", "off"] : label.split(" / ");
      rows.push({ proxies, choices: String(choices), rate, setting: label, failed: r.failedFraction, meanMs: r.mean * SERVICE_MS, ejections: r.ejections });
      console.log(`| ${proxies}, ${choices === "all" ? "full scan" : "two choices"} | ${rate} | ${errors} | ${ejection} | ${(100 * r.failedFraction).toFixed(3)} % | ${(r.mean * SERVICE_MS).toFixed(1)} | ${r.ejections} |`);
    }
  }
}
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "results", "outlier-defaults.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ benchmark: "outlier detection defaults for the proxies (issue 19)", command: "npx tsx bench/sim/outlier-defaults.ts", config: { ...base, serviceMs: SERVICE_MS }, rows }, null, 2)}\n`);
console.log(`wrote ${relative(process.cwd(), out)}`);
