/**
 * Regenerates docs/simulate.md and its plots (docs/simulate/) by running the commands it shows,
 * so every number in it comes from the tool. Run: npx tsx bench/sim/make-docs.ts
 * (about a minute; run `npx tsx bench/sim/throughput.ts` first for the speed section).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Runs a shell-like command line from the repository root and returns its stdout; fails loudly. */
function run(commandLine: string): string {
  const [program, ...args] = commandLine.split(/\s+/);
  const argv = program === "proxy-service" ? ["bin/proxy-service.js", ...args] : program === "npx" && args[0] === "tsx" ? ["--import", "tsx", ...args.slice(1)] : undefined;
  if (argv === undefined) throw new Error(`cannot run ${commandLine}`);
  const r = spawnSync(process.execPath, argv, { cwd: root, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`${commandLine} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Splits `simulate --markdown` output into its results table and its ratio table. */
function tables(output: string): { results: string; ratios: string } {
  const withoutWrote = output.split("\n").filter((l) => !l.startsWith("wrote ")).join("\n").trim();
  const parts = withoutWrote.split(/\n\n(?=\| )/);
  return { results: parts[0] ?? "", ratios: parts[1] ?? "" };
}

const fence = (cmd: string): string => `\`\`\`sh\n${cmd}\n\`\`\``;

const mainCmd = "proxy-service simulate --markdown --requests 400000 --sweep load=0.8,0.9 --sweep callers=10,30,100,300 --sweep replicas=5,20,50,100 --sweep mode=sidecar,proxy";
const kCmd = "proxy-service simulate --markdown --requests 400000 --callers 300 --replicas 50 --sweep load=0.8,0.9 --sweep proxies=1,2,4,8,16,32,64 --sweep mode=sidecar,proxy --out docs/simulate";
const callersCmd = "proxy-service simulate --markdown --requests 400000 --replicas 20 --load 0.9 --sweep callers=1,3,10,30,100,300,1000 --sweep mode=sidecar,proxy --out docs/simulate";
const loadCmd = "proxy-service simulate --markdown --requests 400000 --callers 100 --replicas 20 --sweep load=0.5,0.6,0.7,0.8,0.9,0.95 --sweep policy=random,least-request --sweep mode=sidecar,proxy --out docs/simulate";
const hopCmd = "proxy-service simulate --markdown --requests 400000 --callers 100 --replicas 20 --load 0.8 --service-mean 20ms --sweep hop-latency=0ms,1ms,5ms,20ms --sweep mode=sidecar,proxy";
const drawsCmd = "proxy-service simulate --markdown --requests 400000 --callers 100 --replicas 20 --load 0.9 --sweep draws=without,with --sweep mode=sidecar,proxy";
const validateCmd = "npx tsx bench/sim/validate.ts";
const allCmd = `${mainCmd} --proxy-choices all`;
const fourCmd = `${mainCmd} --proxy-choices 4`;
const choicesKCmd = "proxy-service simulate --markdown --requests 400000 --callers 100 --replicas 20 --load 0.9 --mode proxy --sweep choices=2,4,all --sweep proxies=1,2,3,4,5,8,16,32";
const affordCmd = "proxy-service simulate --afford --markdown --callers 100 --replicas 20 --load 0.8 --rate 580";
const affordAllCmd = `${affordCmd} --proxy-choices all`;

const main = tables(run(mainCmd));
const byK = tables(run(kCmd));
run(callersCmd);
run(loadCmd);
const hop = tables(run(hopCmd));
const draws = tables(run(drawsCmd));
const validation = run(validateCmd).trim();
const all = tables(run(allCmd));
const four = tables(run(fourCmd));
const choicesK = tables(run(choicesKCmd));
const afford = run(affordCmd).trim();
const affordAll = run(affordAllCmd).trim();

/** Rows of a Markdown ratio table as records keyed by header. */
function rows(markdown: string): Array<Record<string, string>> {
  const lines = markdown.split("\n").filter((l) => l.startsWith("| "));
  const cells = (l: string): string[] => l.slice(2, -2).split(" | ");
  const headers = cells(lines[0] ?? "");
  return lines.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [headers[i] ?? "", c])));
}

// Statements about the tables are computed from them, so the prose cannot drift from the numbers.
const mainRows = rows(main.ratios);
const meanRatios = mainRows.map((r) => Number(r["mean ratio"]));
const largeR = new Map<string, number[]>();
for (const r of mainRows.filter((row) => Number(row["replicas"]) >= 20)) {
  const key = `${r["load"]}/${r["callers"]}`;
  largeR.set(key, [...(largeR.get(key) ?? []), Number(r["mean ratio"])]);
}
const rSpreadPercent = Math.max(...[...largeR.values()].map((v) => (Math.max(...v) / Math.min(...v) - 1) * 100)).toFixed(0);
type RatioRows = ReadonlyArray<Record<string, string>>;
const findRow = (rs: RatioRows, load: string, callers: string, replicas: string): Record<string, string> | undefined =>
  rs.find((row) => row["load"] === load && row["callers"] === callers && row["replicas"] === replicas);
const meanP95 = (r: Record<string, string>): string => `${r["mean ratio"]} / ${r["p95 ratio"]}`;

/** Ratio rows pivoted for reading: one table per load, callers down, replicas across, `cell` per cell. */
function pivotWith(ratioRows: RatioRows, cell: (load: string, callers: string, replicas: string) => string, caption?: string): string {
  const uniq = (key: string): string[] => [...new Set(ratioRows.map((r) => r[key] ?? ""))];
  return uniq("load")
    .map((load) => {
      const header = `| load ${load}: callers \\ replicas | ${uniq("replicas").join(" | ")} |`;
      const rule = `| ---: | ${uniq("replicas").map(() => "---:").join(" | ")} |`;
      const body = uniq("callers").map((callers) => `| ${callers} | ${uniq("replicas").map((replicas) => cell(load, callers, replicas)).join(" | ")} |`);
      return [...(caption === undefined ? [] : [caption, ""]), header, rule, ...body].join("\n");
    })
    .join("\n\n");
}

/** The ratio table pivoted for reading, "mean / p95" per cell. */
function pivot(ratioRows: RatioRows): string {
  return pivotWith(ratioRows, (load, callers, replicas) => {
    const r = findRow(ratioRows, load, callers, replicas);
    return r === undefined ? "" : meanP95(r);
  });
}

/** Two ratio tables in one: "mean / p95 with two choices -> mean / p95 with the other" per cell. */
function pivotPair(two: RatioRows, other: RatioRows, otherName: string): string {
  return pivotWith(
    two,
    (load, callers, replicas) => {
      const a = findRow(two, load, callers, replicas);
      const b = findRow(other, load, callers, replicas);
      return a === undefined || b === undefined ? "" : `${meanP95(a)} → **${meanP95(b)}**`;
    },
    `_two choices → ${otherName} in the proxy_`,
  );
}
const allRows = rows(all.ratios);
const fourRows = rows(four.ratios);
const bestGain = Math.max(...allRows.map((r) => Number(r["mean ratio"])));

const kRows = rows(byK.ratios);
const firstK = kRows[0];
const lastK = kRows.filter((r) => r["load"] === firstK?.["load"]).at(-1);

const benchFile = join(root, "bench", "results", "sim.json");
const bench = existsSync(benchFile)
  ? (JSON.parse(readFileSync(benchFile, "utf8")) as {
      node: string;
      cpu: string;
      repeats: number;
      medianMs: number;
      bestMs: number;
      requestsPerSecondMedian: number;
      memory: Array<{ requests: number; wallMs: number; before: { heapUsedMiB: number; rssMiB: number }; after: { heapUsedMiB: number; rssMiB: number }; peakRssMiB: number }>;
    })
  : undefined;
const benchText =
  bench === undefined
    ? "_Run `npx tsx bench/sim/throughput.ts` and regenerate this page to fill in this section._"
    : [
        `On this project's development machine (${bench.cpu}, shared with other jobs; Node ${bench.node}), one million requests take **${bench.medianMs} ms** (median of ${bench.repeats} runs; best ${bench.bestMs} ms), about **${bench.requestsPerSecondMedian.toLocaleString("en")} requests per second** on one core.`,
        "",
        "| requests | wall time (ms) | heap used before / after (MiB) | RSS before / after (MiB) | peak RSS so far (MiB) |",
        "| ---: | ---: | ---: | ---: | ---: |",
        ...bench.memory.map((m) => `| ${m.requests.toLocaleString("en")} | ${m.wallMs} | ${m.before.heapUsedMiB} / ${m.after.heapUsedMiB} | ${m.before.rssMiB} / ${m.after.rssMiB} | ${m.peakRssMiB} |`),
        "",
        "Memory does not grow with the number of requests: percentiles come from a fixed log-bucketed histogram and the only event queue holds the requests still in the system.",
      ].join("\n");

const page = `<!-- Generated by bench/sim/make-docs.ts from the commands shown; do not edit by hand. -->
# Will it help my service? (\`proxy-service simulate\`)

\`proxy-service simulate\` predicts how much a ProxyService lowers latency for a service of your
shape, at sizes no test machine can host. It is a discrete-event simulator of C callers sending
Poisson requests to R replicas (each with W workers and a FIFO queue), balanced either by every
caller's own sidecar (\`--mode sidecar\`, the mesh today), by K shared proxies that each caller
picks at random per request (\`--mode proxy\`, the ProxyService), or by one balancer (\`--mode global\`).
Every balancer sees only the requests it sent itself, as an Envoy sidecar's least-request does.

Times are in units of the mean service time unless you give a unit (then also give
\`--service-mean\`, e.g. \`--service-mean 20ms\`). \`--load\` is the utilisation of each worker.
Defaults: least-request with d = 2 candidates drawn independently (as Envoy does), exponential
service, 200,000 requests, seed 1 (same seed, same numbers). See \`proxy-service simulate --help\` for every flag; from a clone, run it as
\`./bin/proxy-service.js simulate ...\`. This page is regenerated by \`npx tsx bench/sim/make-docs.ts\`.

## The gain: sidecar least-request vs one ProxyService (K = 1)

Ratio of the sidecar mode's latency to the ProxyService's (above 1: the ProxyService is faster),
with exponential service times, least-request d = 2 in both modes, no extra hop:

${fence(mainCmd)}

Each cell is sidecar / ProxyService for the **mean / p95** latency:

${pivot(mainRows)}

<details><summary>The same ratios as the command prints them (with p99)</summary>

${main.ratios}

</details>

The mean latency ratio ranges from ${Math.min(...meanRatios).toFixed(2)} to ${Math.max(...meanRatios).toFixed(2)}. The gain grows with the number
of callers (each sidecar sees a thinner slice of the load, so its least-request degrades towards
random) and with the load; for R >= 20 it changes by at most ${rSpreadPercent} % with R. In proxy mode the
number of callers does not matter (every request picks a proxy at random, whoever sent it), so
the gain comes entirely from the sidecars' worsening view. For scale: on Sock-Shop at about
580 req/s the published study (Detti and Funari, IEEE TNSM 2025, as summarised in issue 5)
measured a mean of about 165 ms with sidecar least-request against about 60 ms with the fix.

<details><summary>All 64 configurations of this sweep</summary>

${main.results}

</details>

## More candidates in the proxy (\`spec.leastRequest.choices\`)

A ProxyService's proxy sees nearly all the load, so it can compare more than two candidates; the
callers' sidecars keep Istio's two (\`--proxy-choices\` sets the proxies' candidates only). Each
cell is sidecar / ProxyService, **mean / p95**, with two choices in the proxy and then with a full
scan (\`choices: All\`, Envoy's FULL_SCAN):

${fence(allCmd)}

${pivotPair(mainRows, allRows, "All")}

With four candidates (\`choices: 4\`):

${fence(fourCmd)}

${pivotPair(mainRows, fourRows, "4")}

The full scan's mean ratio reaches ${bestGain.toFixed(2)} in this grid. The candidates also change how fast extra
proxies give the gain back (one proxy mode run per K; latency in units of the mean service time):

${fence(choicesKCmd)}

${choicesK.results}

Ties are broken at random here, as Envoy's FULL_SCAN does (reservoir sampling in its
\`least_request_lb.cc\`), so the full scan stays ahead of four choices at every K; HAProxy's
\`leastconn\` breaks ties in a fixed order and can herd instead (docs/evidence.md).

### How many proxies can I afford?

\`--afford\` runs the sidecars once and the proxies for K = 1 to 32, and reports the share of the
one-proxy gain each K keeps and the most proxies that keep at least \`--keep\` (default half) of it;
with \`--rate\` it also says how many proxies the autoscaler runs for that rate at the operator's
default sizing (CPU request 500m, target 80 %, Envoy estimated at 0.35 cores per 1,000 req/s):

${fence(affordCmd)}

${afford}

${fence(affordAllCmd)}

${affordAll}

## How the gain shrinks as K grows

Each extra proxy again sees only part of the traffic, so the gain falls as K grows: for C = 300
callers and R = 50 replicas at load ${firstK?.["load"]}, from ${firstK?.["mean ratio"]} at K = ${firstK?.["proxies"]} to ${lastK?.["mean ratio"]} at K = ${lastK?.["proxies"]} (mean).

${fence(kCmd)}

${byK.ratios}

![Mean latency vs number of proxies K](simulate/mean-latency-vs-proxies.png)
![p95 latency vs number of proxies K](simulate/p95-latency-vs-proxies.png)

## Latency vs callers and vs load

${fence(callersCmd)}

![Mean latency vs callers](simulate/mean-latency-vs-callers.png)

${fence(loadCmd)}

![Mean latency vs load](simulate/mean-latency-vs-load.png)
![p95 latency vs load](simulate/p95-latency-vs-load.png)

## The cost of the extra hop

Going through a proxy adds a network hop. \`--hop-latency\` adds it to every request in proxy mode
(a constant delay does not change the queueing, so it adds exactly that much). With a 20 ms mean
service time, C = 100, R = 20, load 0.8:

${fence(hopCmd)}

${hop.ratios}

## Drawing candidates with or without replacement

Envoy's least-request (the Istio sidecar and gateway; \`unweightedHostPickNChoices\` in its
\`least_request_lb.cc\`) and HAProxy's \`balance random(2)\` (used by the loopback testbed in
bench/lor) draw each candidate independently, so both can be the same replica: that is the
default, \`--draws with\`. \`--draws without\` draws distinct replicas, so it never wastes a draw:

${fence(drawsCmd)}

${draws.results}

## Validation against closed forms

The same cases run in \`test/sim/validation.test.ts\` (which asserts agreement within 3 %):

${fence(validateCmd)}

${validation}

JSQ over single-worker servers must lie above the M/M/R floor (one shared queue; Erlang C) and
below one balancer with d = 2: the last two rows show both, as ratios to that floor.

Sources: M/M/1, M/M/c and GI/M/1 from L. Kleinrock, *Queueing Systems*, vol. 1 (1975), sections
3.2, 3.5 and 6.4; the power-of-d mean field from M. Mitzenmacher, "The power of two choices in
randomized load balancing", IEEE TPDS 12(10), 2001, and N. D. Vvedenskaya, R. L. Dobrushin,
F. I. Karpelevich, Problems of Information Transmission 32(1), 1996. Percentiles use the
log-bucketed histogram of DDSketch (Masson, Rim, Lee, VLDB 2019) with 0.5 % relative error.

## Speed

${fence("npx tsx bench/sim/throughput.ts")}

${benchText}

## What the model leaves out

- A balancer's view updates the instant a response completes; real proxies learn it one network hop later.
- Proxies have no capacity limit of their own and add only the constant \`--hop-latency\`.
- Callers pick a proxy uniformly per request (as kube-proxy's random endpoint choice would); connection reuse can make real traffic stickier.
- Service times are independent of the replica and of its load.
`;

writeFileSync(join(root, "docs", "simulate.md"), page);
console.log("wrote docs/simulate.md and docs/simulate/*.{svg,png}");
