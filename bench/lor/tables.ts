/**
 * Markdown tables for docs/evidence.md, computed from a testbed JSON file (never typed by hand).
 * Usage: `npx tsx bench/lor/tables.ts bench/results/lor-default.json`.
 */
import { readFile } from "node:fs/promises";
import type { ScenarioResult } from "./scenario.js";
import type { SweepOutput } from "./sweep.js";

/** The published figures (Detti & Funari, IEEE TNSM 2025, Sock-Shop at ~580 req/s), in ms. */
export const PUBLISHED = { proxy: { mean: 60, p95: 230 }, sidecar: { mean: 165, p95: 700 }, random: { mean: 320, p95: 2500 } } as const;

const f1 = (v: number): string => v.toFixed(1);
const f2 = (v: number): string => v.toFixed(2);

/** One row per result of a group. */
export function groupTable(results: readonly ScenarioResult[]): string {
  const lines = [
    "| configuration | C | R | K | rho | req/s | mean | p50 | p95 | p99 | errors | max share / mean | HAProxy CPU % |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.scenario.callers} | ${r.scenario.replicas} | ${r.scenario.mode === "proxy" ? r.scenario.proxies : "-"} | ${r.scenario.rho} | ` +
        `${r.throughput.toFixed(0)} | ${f1(r.meanMs)} | ${f1(r.p50Ms)} | ${f1(r.p95Ms)} | ${f1(r.p99Ms)} | ${r.errors} | ${f2(r.shareMaxOverMean)} | ` +
        `${r.cpu.haproxyPct === null ? "-" : f1(r.cpu.haproxyPct)} |`,
    ),
  ];
  return lines.join("\n");
}

interface RatioRow {
  point: string;
  sidecarMean: number;
  sidecarP95: number;
  randomMean: number | null;
  randomP95: number | null;
}

/** Ratios sidecar/ProxyService and random/ProxyService (LR(2), K = 1) at every point that has both. */
export function ratioRows(output: SweepOutput): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const g of output.groups) {
    const points = new Map<string, ScenarioResult[]>();
    for (const r of g.results) {
      const s = r.scenario;
      const key = `C=${s.callers} R=${s.replicas} rho=${s.rho}`;
      points.set(key, [...(points.get(key) ?? []), r]);
    }
    for (const [point, rs] of points) {
      const proxy = rs.find((r) => r.scenario.mode === "proxy" && r.scenario.policy === "lr2" && r.scenario.proxies === 1);
      const sidecar = rs.find((r) => r.scenario.mode === "sidecar" && r.scenario.policy === "lr2");
      const random = rs.find((r) => r.scenario.policy === "random" && r.scenario.mode === "proxy");
      if (!proxy || !sidecar) continue;
      rows.push({
        point: `${g.group.name}: ${point}`,
        sidecarMean: sidecar.meanMs / proxy.meanMs,
        sidecarP95: sidecar.p95Ms / proxy.p95Ms,
        randomMean: random ? random.meanMs / proxy.meanMs : null,
        randomP95: random ? random.p95Ms / proxy.p95Ms : null,
      });
    }
  }
  return rows;
}

export function ratioTable(output: SweepOutput): string {
  const x = (v: number | null): string => (v === null ? "-" : `${v.toFixed(2)}x`);
  const p = PUBLISHED;
  return [
    "| point | sidecar / ProxyService, mean | sidecar / ProxyService, p95 | random / ProxyService, mean | random / ProxyService, p95 |",
    "|---|--:|--:|--:|--:|",
    `| **published** (Sock-Shop, ~580 req/s) | **${x(p.sidecar.mean / p.proxy.mean)}** | **${x(p.sidecar.p95 / p.proxy.p95)}** | **${x(p.random.mean / p.proxy.mean)}** | **${x(p.random.p95 / p.proxy.p95)}** |`,
    ...ratioRows(output).map((r) => `| ${r.point} | ${x(r.sidecarMean)} | ${x(r.sidecarP95)} | ${x(r.randomMean)} | ${x(r.randomP95)} |`),
  ].join("\n");
}

/** The cost side: the extra hop at low load, and HAProxy's CPU per 1,000 requests/s over all runs. */
export function costTable(output: SweepOutput): string {
  const all = output.groups.flatMap((g) => g.results);
  const hop = output.groups.find((g) => g.group.name === "hop")?.results ?? [];
  const direct = hop.find((r) => r.scenario.mode === "direct");
  const proxied = hop.find((r) => r.scenario.mode !== "direct");
  const lines: string[] = [];
  if (direct && proxied) {
    lines.push(
      "| low load (det 20 ms, rho 0.1, R=20) | req/s | mean | p50 | p95 | p99 | measured service mean |",
      "|---|--:|--:|--:|--:|--:|--:|",
      ...[direct, proxied].map(
        (r) => `| ${r.label} | ${r.throughput.toFixed(0)} | ${f2(r.meanMs)} | ${f2(r.p50Ms)} | ${f2(r.p95Ms)} | ${f2(r.p99Ms)} | ${f2(r.serviceMeanMs)} |`,
      ),
      `| **extra hop (HAProxy - direct)** | | **${f2(proxied.meanMs - direct.meanMs)}** | **${f2(proxied.p50Ms - direct.p50Ms)}** | ${f2(proxied.p95Ms - direct.p95Ms)} | ${f2(proxied.p99Ms - direct.p99Ms)} | |`,
      "",
    );
  }
  const per1000 = (rs: readonly ScenarioResult[]): string => {
    const v = rs.map((r) => r.haproxyPctPer1000Rps).filter((x): x is number => x !== null).sort((a, b) => a - b);
    if (v.length === 0) return "- | - | -";
    return `${f1(v[Math.floor(v.length / 2)] ?? 0)} | ${f1(v[0] ?? 0)} | ${f1(v[v.length - 1] ?? 0)}`;
  };
  const busy = all.filter((r) => r.scenario.rho >= 0.5);
  lines.push(
    "| HAProxy CPU per 1,000 req/s (% of one core) | runs | median | min | max |",
    "|---|--:|--:|--:|--:|",
    `| sidecar layout (one section per caller) | ${busy.filter((r) => r.scenario.mode === "sidecar").length} | ${per1000(busy.filter((r) => r.scenario.mode === "sidecar"))} |`,
    `| shared layout (K sections) | ${busy.filter((r) => r.scenario.mode === "proxy").length} | ${per1000(busy.filter((r) => r.scenario.mode === "proxy"))} |`,
  );
  const maxOf = (pick: (r: ScenarioResult) => number | null): string => f1(Math.max(...all.map((r) => pick(r) ?? 0)));
  lines.push(
    "",
    `Largest CPU use in any run (% of one core): HAProxy ${maxOf((r) => r.cpu.haproxyPct)}, backends ${maxOf((r) => r.cpu.backendsPct)}, load generator ${maxOf((r) => r.cpu.loadgenPct)}; ` +
      `largest p99 send lag of the generator ${maxOf((r) => r.sendLagP99Ms)} ms.`,
  );
  return lines.join("\n");
}

/**
 * The choices sweep's answers (issue 12), computed from its results: at each point, one proxy's
 * LR(2), LR(4) and full scan, and how much of the gap from LR(2) to the full scan LR(4) closes;
 * LR(4) against the full scan as K grows; HAProxy's CPU per request as R grows.
 */
export function choicesTables(output: SweepOutput): string {
  const lines: string[] = [];
  const at = (rs: readonly ScenarioResult[], policy: string, proxies: number): ScenarioResult | undefined =>
    rs.find((r) => r.scenario.mode === "proxy" && r.scenario.policy === policy && r.scenario.proxies === proxies);
  for (const g of output.groups.filter((x) => x.group.axis === "proxies")) {
    const s0 = g.results[0]?.scenario;
    const sidecar = g.results.find((r) => r.scenario.mode === "sidecar");
    const two = at(g.results, "lr2", 1);
    const four = at(g.results, "lr4", 1);
    const all = at(g.results, "leastconn", 1);
    if (!s0 || !two || !four || !all) continue;
    const closed = (two.meanMs - four.meanMs) / (two.meanMs - all.meanMs);
    lines.push(
      `#### ${g.group.title}`,
      "",
      `One proxy: LR(2) ${f1(two.meanMs)} / ${f1(two.p95Ms)} / ${f1(two.p99Ms)} ms (mean / p95 / p99), LR(4) ${f1(four.meanMs)} / ${f1(four.p95Ms)} / ${f1(four.p99Ms)}, ` +
        `full scan ${f1(all.meanMs)} / ${f1(all.p95Ms)} / ${f1(all.p99Ms)}` +
        (sidecar ? `; sidecar LR(2) ${f1(sidecar.meanMs)} / ${f1(sidecar.p95Ms)} / ${f1(sidecar.p99Ms)}` : "") +
        `. LR(4) closes ${(100 * closed).toFixed(0)} % of the gap from LR(2) to the full scan on the mean.`,
      "",
      "| K | LR(2) mean / p95 / p99 | LR(4) mean / p95 / p99 | full scan mean / p95 / p99 | full scan / LR(4), mean |",
      "|--:|--:|--:|--:|--:|",
    );
    const ks = [...new Set(g.results.filter((r) => r.scenario.mode === "proxy").map((r) => r.scenario.proxies))].sort((a, b) => a - b);
    for (const k of ks) {
      const cell = (r: ScenarioResult | undefined): string => (r ? `${f1(r.meanMs)} / ${f1(r.p95Ms)} / ${f1(r.p99Ms)}` : "-");
      const a = at(g.results, "leastconn", k);
      const b = at(g.results, "lr4", k);
      lines.push(`| ${k} | ${cell(at(g.results, "lr2", k))} | ${cell(b)} | ${cell(a)} | ${a && b ? f2(a.meanMs / b.meanMs) : "-"} |`);
    }
    lines.push("");
  }
  const cpu = output.groups.find((x) => x.group.name === "choices-cpu");
  if (cpu) {
    lines.push(
      `#### ${cpu.group.title}`,
      "",
      "| R | rho | LR(2): HAProxy % of a core per 1,000 req/s | leastconn (tree) | random(R) (R draws) | random(R) - LR(2), CPU per request |",
      "|--:|--:|--:|--:|--:|--:|",
    );
    const replicas = [...new Set(cpu.results.map((r) => r.scenario.replicas))].sort((a, b) => a - b);
    for (const rr of replicas) {
      const p = (policy: string): number | null => cpu.results.find((r) => r.scenario.replicas === rr && r.scenario.policy === policy)?.haproxyPctPer1000Rps ?? null;
      const two = p("lr2");
      const lin = p("lrR");
      const rho = cpu.results.find((r) => r.scenario.replicas === rr)?.scenario.rho ?? 0;
      // % of a core per 1,000 req/s is 10 us of CPU per request.
      lines.push(
        `| ${rr} | ${rho.toFixed(2)} | ${two === null ? "-" : f1(two)} | ${p("leastconn") === null ? "-" : f1(p("leastconn") ?? 0)} | ${lin === null ? "-" : f1(lin)} | ${two === null || lin === null ? "-" : `${((lin - two) * 10).toFixed(0)} us`} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: npx tsx bench/lor/tables.ts bench/results/lor-default.json");
  const output = JSON.parse(await readFile(file, "utf8")) as SweepOutput;
  const m = output.machine;
  console.log(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, ${m.haproxy}; load average at start ${m.loadAverageAtStart.toFixed(1)}; run ${output.startedAt} to ${output.finishedAt}.\n`);
  for (const g of output.groups) console.log(`### ${g.group.title}\n\n${groupTable(g.results)}\n`);
  console.log(`### Ratios against the published claim\n\n${ratioTable(output)}\n`);
  console.log(`### Cost\n\n${costTable(output)}\n`);
  if (output.sweep === "choices") console.log(`### Candidates\n\n${choicesTables(output)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
