/**
 * Run-to-run variation: pairs the configurations of two testbed JSON files (same sweep, e.g. two
 * seeds) and prints both means and their difference, as a markdown table with a summary line.
 * Usage: `npx tsx bench/lor/compare-runs.ts <first.json> <second.json>`.
 */
import { readFile } from "node:fs/promises";
import type { Scenario } from "./scenario.js";
import type { SweepOutput } from "./sweep.js";

/** The parameters that identify a configuration, without the seed. */
function key(group: string, s: Scenario): string {
  return `${group} ${s.mode} ${s.policy} C=${s.callers} R=${s.replicas} K=${s.proxies} rho=${s.rho} ${s.service}`;
}

async function main(): Promise<void> {
  const [a, b] = process.argv.slice(2);
  if (a === undefined || b === undefined) throw new Error("usage: npx tsx bench/lor/compare-runs.ts <first.json> <second.json>");
  const first = JSON.parse(await readFile(a, "utf8")) as SweepOutput;
  const second = JSON.parse(await readFile(b, "utf8")) as SweepOutput;
  const other = new Map(second.groups.flatMap((g) => g.results.map((r) => [key(g.group.name, r.scenario), r] as const)));
  const diffs: number[] = [];
  console.log("| group | configuration | C | R | K | rho | mean, first | mean, second | diff | p95, first | p95, second |");
  console.log("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const g of first.groups) {
    for (const r of g.results) {
      const o = other.get(key(g.group.name, r.scenario));
      if (!o) continue;
      const d = (o.meanMs - r.meanMs) / r.meanMs;
      diffs.push(Math.abs(d));
      const s = r.scenario;
      console.log(
        `| ${g.group.name} | ${r.label} | ${s.callers} | ${s.replicas} | ${s.mode === "proxy" ? s.proxies : "-"} | ${s.rho} | ` +
          `${r.meanMs.toFixed(1)} | ${o.meanMs.toFixed(1)} | ${d >= 0 ? "+" : ""}${(100 * d).toFixed(0)} % | ${r.p95Ms.toFixed(1)} | ${o.p95Ms.toFixed(1)} |`,
      );
    }
  }
  diffs.sort((x, y) => x - y);
  const median = diffs[Math.floor(diffs.length / 2)] ?? 0;
  const within10 = diffs.filter((d) => d <= 0.1).length;
  console.log(
    `\n${diffs.length} configurations paired; median absolute difference of the mean ${(100 * median).toFixed(1)} %, ` +
      `largest ${(100 * (diffs[diffs.length - 1] ?? 0)).toFixed(1)} %; within 10 %: ${within10}.`,
  );
}

await main();
