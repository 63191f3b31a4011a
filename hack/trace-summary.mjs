// Prints a request's path from `hack/local-cluster.sh trace` (JSON on standard input) as a few lines:
// the caller's sidecar, each proxy hop with its balancing policy and endpoint count, the final endpoints.
// Exit code 0 when the path matches the expectation in argv[2]: "proxies" (through ProxyService pods) or "direct".
import { readFileSync } from "node:fs";

const want = process.argv[2] ?? "any";
const t = JSON.parse(readFileSync(0, "utf8"));
if (t.error) {
  console.log(`  trace: ${t.error}`);
  process.exit(1);
}
const lb = (x) => `${x.policy}${x.choiceCount ? ` (${x.choiceCount} choices)` : ""}${x.loadBalancingPolicy ? " (load_balancing_policy)" : ""}, locality ${x.locality === "off" ? "off" : "on"}`;
const [first, ...proxies] = t.hops;
console.log(`  ${first.proxy} (${first.nodeType}) -> cluster ${first.cluster}: ${lb(first.lb)}, ${first.endpoints.length} endpoint(s)`);
for (const hop of proxies) console.log(`    -> ${hop.proxy} (${hop.nodeType}) -> cluster ${hop.cluster}: ${lb(hop.lb)}, ${hop.endpoints.length} endpoint(s)`);
console.log(`  final endpoints (${t.final.length}): ${t.final.join(" ")}`);
const throughProxies = proxies.length > 0 && first.endpoints.every((e) => e.next > 0);
process.exit(want === "any" || (want === "proxies") === throughProxies ? 0 : 1);
