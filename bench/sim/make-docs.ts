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
const compareSmallCmd = "proxy-service simulate --compare --markdown --requests 400000 --callers 60 --replicas 20 --load 0.8 --proxies 4";
const compareLargeCmd = "proxy-service simulate --compare --markdown --requests 400000 --callers 300 --replicas 50 --load 0.9 --proxies 4";
const compareGridCmd = "proxy-service simulate --compare --json --requests 400000 --sweep load=0.8,0.9 --sweep callers=10,30,100,300 --sweep replicas=5,20,50,100";
// Ten simulated minutes at a 20 ms mean service time (800 and 2,250 req/s), so outlier detection's 30 s ejections repeat.
const failSmallCmd = "proxy-service simulate --compare --markdown --service-mean 20ms --requests 480000 --callers 60 --replicas 20 --load 0.8 --failing-replicas 1 --sweep outlier-detection=off,on";
const failLargeCmd = "proxy-service simulate --compare --markdown --service-mean 20ms --requests 1350000 --callers 300 --replicas 50 --load 0.9 --failing-replicas 1 --sweep outlier-detection=off,on";
const slowCmd = "proxy-service simulate --compare --markdown --requests 400000 --callers 60 --replicas 20 --load 0.7 --slow-replicas 1 --slowdown 3";

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
const compareSmall = run(compareSmallCmd).trim();
const compareLarge = run(compareLargeCmd).trim();
const compareGrid = run(compareGridCmd)
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { load: number; callers: number; replicas: number; setup: string; mean: number; p95: number });
const failSmall = run(failSmallCmd).trim();
const failLarge = run(failLargeCmd).trim();
const slow = run(slowCmd).trim();

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

/** The --compare grid as one table per load: each alternative's mean / p95 ratio against the sidecars' default. */
const ALTERNATIVES = [
  ["sidecar-peak-ewma", "sidecar peak EWMA"],
  ["sidecar-orca-wrr", "sidecar ORCA WRR"],
  ["sidecar-prequal", "sidecar Prequal"],
  ["proxy1-two-choices", "one proxy, two choices"],
  ["proxy1-full-scan", "one proxy, full scan"],
] as const;
type GridRun = (typeof compareGrid)[number];
const gridPoints = [...new Set(compareGrid.map((g) => `${g.load}|${g.callers}|${g.replicas}`))].map((k) => {
  const [load, callers, replicas] = k.split("|").map(Number) as [number, number, number];
  const at = (setup: string): GridRun => {
    const found = compareGrid.find((g) => g.load === load && g.callers === callers && g.replicas === replicas && g.setup === setup);
    if (found === undefined) throw new Error(`no ${setup} at ${k}`);
    return found;
  };
  const base = at("sidecar-two-choices");
  const ratio = (setup: string): { mean: number; p95: number } => ({ mean: base.mean / at(setup).mean, p95: base.p95 / at(setup).p95 });
  return { load, callers, replicas, ratios: Object.fromEntries(ALTERNATIVES.map(([key]) => [key, ratio(key)])) as Record<string, { mean: number; p95: number }> };
});
const gridTables = [...new Set(gridPoints.map((g) => g.load))]
  .map((load) => {
    const header = `| load ${load}: callers, replicas | ${ALTERNATIVES.map(([, label]) => label).join(" | ")} |`;
    const rule = `| ---: | ${ALTERNATIVES.map(() => "---:").join(" | ")} |`;
    const body = gridPoints
      .filter((g) => g.load === load)
      .map((g) => {
        const cells = ALTERNATIVES.map(([key]) => {
          const r = g.ratios[key] as { mean: number; p95: number };
          return `${r.mean.toFixed(2)} / ${r.p95.toFixed(2)}`;
        });
        return `| ${g.callers}, ${g.replicas} | ${cells.join(" | ")} |`;
      });
    return [header, rule, ...body].join("\n");
  })
  .join("\n\n");
// Statements about the grid, computed from it.
const meanOf = (g: (typeof gridPoints)[number], key: string): number => (g.ratios[key] as { mean: number }).mean;
const bestSidecar = (g: (typeof gridPoints)[number]): number => Math.max(meanOf(g, "sidecar-peak-ewma"), meanOf(g, "sidecar-orca-wrr"), meanOf(g, "sidecar-prequal"));
const prequalBest = gridPoints.filter((g) => meanOf(g, "sidecar-prequal") === bestSidecar(g)).length;
const beatsProxy = gridPoints.filter((g) => bestSidecar(g) >= meanOf(g, "proxy1-two-choices"));
const within10 = gridPoints.filter((g) => bestSidecar(g) >= 0.9 * meanOf(g, "proxy1-two-choices"));
const fullScanMargin = Math.min(...gridPoints.map((g) => meanOf(g, "proxy1-full-scan") / bestSidecar(g)));
const ewmaWorse = gridPoints.filter((g) => meanOf(g, "sidecar-peak-ewma") < 1).length;
const orcaWorse = gridPoints.filter((g) => meanOf(g, "sidecar-orca-wrr") < 1).length;
const prequalRange = [Math.min(...gridPoints.map((g) => meanOf(g, "sidecar-prequal"))), Math.max(...gridPoints.map((g) => meanOf(g, "sidecar-prequal")))];
const pointList = (ps: typeof gridPoints): string => (ps.length === 0 ? "none" : ps.map((g) => `${g.callers} callers / ${g.replicas} replicas at load ${g.load}`).join("; "));

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

## Which one should I use?

Users with uneven load can now turn on other things than a ProxyService, each without the extra
hop, each still deciding in every caller's sidecar:

- **Backend-reported load** (\`--policy orca-wrr\`): Istio's DestinationRule \`BackendUtilizationLB\`,
  Envoy's \`client_side_weighted_round_robin\`: every sidecar weights the replicas by the load they
  report in ORCA headers (qps / (utilisation + eps / qps x penalty), recomputed every second, after a
  10 s blackout). The application must send the reports.
- **Latency-aware choice** (\`--policy peak-ewma\`): Linkerd's default balancer, an Envoy contrib
  policy reachable in Istio only through an EnvoyFilter: two random replicas, the lower moving peak
  latency x (outstanding + 1) wins.
- **Probing** (\`--policy prequal\`): Prequal (NSDI 2024, proposed for Envoy in envoyproxy/envoy#42091
  and #43915, not available yet): each sidecar probes three replicas per request for their requests
  in flight and latency and picks by the hot-cold rule.

Every parameter is the real implementation's default, named with its source in
\`src/sim/policy-params.ts\`; they are wall-clock timers there, converted here with the mean service
time (\`--service-mean\`, 20 ms when absent). \`--compare\` puts them beside a ProxyService for one shape:

${fence(compareSmallCmd)}

${compareSmall}

${fence(compareLargeCmd)}

${compareLarge}

Over the grid of the first section (each cell: the sidecars' default latency over the setup's,
**mean / p95**; above 1 is faster than today's sidecars):

${fence(compareGridCmd)}

${gridTables}

What the grid says:

- **Prequal is the only alternative that helps**: its sidecars beat the default by ${prequalRange[0]?.toFixed(2)}x to
  ${prequalRange[1]?.toFixed(2)}x (mean) and it is the best sidecar alternative at ${prequalBest} of ${gridPoints.length} points, because a probe reads
  the replica's own requests in flight, which no sidecar can count. It still degrades as callers
  multiply: each sidecar sends rarely, so its probes are older when it uses them.
- **Peak EWMA** is no better than two choices here (worse at ${ewmaWorse} of ${gridPoints.length} points): with equal replicas
  every latency it sees is mostly queueing noise, and the peak keeps the noisiest value for the
  10 s decay. It earns its keep with replicas of unequal speed (below).
- **ORCA round robin** is worse than two choices at ${orcaWorse} of ${gridPoints.length} points: it balances the *rates* each replica
  can take, refreshed once a second, not the queues of the moment, so with equal replicas it is
  round robin from each sidecar, close to random once there are many callers. It earns its keep
  with unequal replicas and failing ones (below), not with uneven instantaneous load.
- **Where an alternative without the hop comes close to a ProxyService**: the best sidecar
  alternative reaches at least 90 % of one proxy with two choices at ${within10.length} of ${gridPoints.length} points
  (${pointList(within10)}) and beats it at ${beatsProxy.length} (${pointList(beatsProxy)}).
- **Where the ProxyService wins**: everywhere else, and with a full scan (\`leastRequest.choices: All\`)
  at every point of the grid, by at least ${fullScanMargin.toFixed(2)}x over the best sidecar alternative. Prequal is also
  not available in Istio today, while a ProxyService is.

A replica three times slower than the rest (a noisy neighbour) is where the latency-aware and
load-reporting policies do what they were built for:

${fence(slowCmd)}

${slow}

## A replica that fails fast

A replica that answers errors in a millisecond (a broken dependency, a bad config) always has few
requests in flight, so least-request sends it more than its share, and a full scan in one proxy
sends it the most; Prequal (its probes report few requests in flight and a low latency) and peak
EWMA (its latency is low) are drawn to it too. \`--failing-replicas 1\` makes the last replica answer
every request with an error after 1 ms; \`--outlier-detection on\` turns on Envoy's consecutive-5xx
ejection at every balancer with Envoy's defaults (5 errors in a row, 30 s times the number of
ejections, at most 300 s, at most 10 % of the replicas). Latencies are of the successful requests;
"failed" is the share of all requests answered with an error. Ten simulated minutes each:

${fence(failSmallCmd)}

${failSmall}

${fence(failLargeCmd)}

${failLarge}

Outlier detection is what protects the users, whatever the policy: each sidecar must see the 5
errors itself before it ejects, so with many callers the sidecars together let through hundreds of
errors per ejection round, where one proxy lets through 5. ORCA round robin needs no ejection to
starve a fast-failing replica: its busy share is near zero, so with the error penalty its weight
is its own request rate, which falls with every weight update as it gets less traffic (a healthy
replica's weight is its capacity, whatever its traffic). It is the only policy that fails fewer
requests than its share without outlier detection, but its latency is the worst.

## Validation against closed forms

The same cases run in \`test/sim/validation.test.ts\`, \`test/sim/alternatives.test.ts\` and
\`test/sim/replica-faults.test.ts\` (which assert agreement within 3 %, the failed share within 5 %).
The alternatives are checked in limiting cases where they must become a policy with a closed form:
peak EWMA whose average cannot move is two-choice least-request; ORCA round robin with every
replica in its blackout is round robin; Prequal with two fresh probes, a pool of two and quantile 0
picks the least of two global counts, the supermarket model:

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
- Service times are independent of the replica and of its load (apart from \`--slow-replicas\`).
- No retries: Istio retries some 503s by default, which hides part of a failing replica's errors at the cost of extra load.
- Prequal's replicas estimate their latency per count in flight with a moving average, where the paper takes a recent median, and probes never fail or lag.
`;

writeFileSync(join(root, "docs", "simulate.md"), page);
console.log("wrote docs/simulate.md and docs/simulate/*.{svg,png}");
