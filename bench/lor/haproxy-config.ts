/**
 * HAProxy configuration for the testbed, as a pure function of the layout: one frontend/backend pair
 * per balancer, each balancer with its own view of in-flight requests.
 *
 * Semantics this relies on (HAProxy 2.6 configuration manual, "balance"):
 * - `random(1)` is uniform random; a plain `random` means `random(2)`, so it is never written bare.
 * - `random(2)` takes the less loaded of two draws on the consistent-hash ring, drawn *with
 *   replacement*: both draws land on the same server about 1 time in R. `random(d)` does d such
 *   draws (a later draw replaces the best so far unless it is strictly more loaded, so ties go to
 *   a random one of the tied draws); d draws cost d ring lookups, so random(R) costs O(R) per request.
 * - `leastconn` picks the server with the fewest requests in flight from this backend section (it
 *   counts queued ones too, but servers here have no `maxconn`, so HAProxy never queues).
 * - Each server gets `weight 100`: with the default weight 1 a server holds few points on the ring and
 *   the random shares are visibly uneven; equal higher weights make them even (shares are measured).
 * In HTTP mode with keep-alive every request is balanced on its own (`prefer-last-server` is off by default).
 */

/** The balancing algorithm of one backend section: `random<d>` is `balance random(<d>)`. */
export type Balance = `random${number}` | "leastconn";

/**
 * HAProxy's outlier detection (configuration manual, "observe", "error-limit", "on-error"): with
 * `observe layer7` every response is watched, and `errorLimit` consecutive 5xx mark the server
 * down at once (`on-error mark-down`). It comes back at the first passing health check, which
 * here is a TCP connect every `ejectionMs` (`inter`, and `fastinter`/`downinter` so the pace does
 * not change once it is down): the failing replica still accepts connections, so it is out for
 * about `ejectionMs`, like Envoy's ejection for base_ejection_time. Each backend section watches
 * its own servers, as each Envoy does.
 */
export interface HaproxyOutlierDetection {
  errorLimit: number;
  ejectionMs: number;
}

/** One balancer: a frontend on `port` feeding a backend section over all `servers`. */
export interface BalancerSection {
  name: string;
  port: number;
  balance: Balance;
  outlierDetection?: HaproxyOutlierDetection;
}

export interface HaproxyLayout {
  sections: readonly BalancerSection[];
  /** Ports of the backend replicas on 127.0.0.1. */
  servers: readonly number[];
}

/** Equal weight for every server; high enough that the consistent-hash ring shares are even. */
export const SERVER_WEIGHT = 100;

/** The configuration line of an algorithm; the number of draws is always spelled out. */
export function balanceLine(balance: Balance): string {
  if (balance === "leastconn") return "balance leastconn";
  const draws = Number(balance.slice("random".length));
  if (!Number.isInteger(draws) || draws < 1) throw new Error(`haproxy-config: "${balance}" has no valid number of draws`);
  return `balance random(${draws})`;
}

/** The server-line options of HAProxy's outlier detection, or nothing. */
export function observeSuffix(od: HaproxyOutlierDetection | undefined): string {
  if (od === undefined) return "";
  if (!(Number.isInteger(od.errorLimit) && od.errorLimit >= 1) || !(od.ejectionMs > 0)) throw new Error(`haproxy-config: outlier detection needs errorLimit >= 1 and ejectionMs > 0, got ${JSON.stringify(od)}`);
  const t = `${Math.round(od.ejectionMs)}ms`;
  return ` check inter ${t} fastinter ${t} downinter ${t} rise 1 fall 1 observe layer7 error-limit ${od.errorLimit} on-error mark-down`;
}

/** Renders the configuration text. Pure. */
export function renderHaproxyConfig(layout: HaproxyLayout): string {
  const lines = [
    "global",
    // One thread: the balancing state of a section is then exactly one view, and the CPU measured is one core's.
    "  nbthread 1",
    "  maxconn 8000",
    "defaults",
    "  mode http",
    // Well above any load here (and within a 20,000 open-file limit: HAProxy needs about two per connection), so HAProxy accepts everything at once and the replicas' FIFO queues do the queueing.
    "  maxconn 8000",
    "  timeout connect 5s",
    "  timeout client 300s",
    "  timeout server 300s",
    "  timeout http-keep-alive 300s",
    "  http-reuse always",
  ];
  for (const section of layout.sections) {
    lines.push(
      `frontend fe_${section.name}`,
      `  bind 127.0.0.1:${section.port}`,
      `  default_backend be_${section.name}`,
      `backend be_${section.name}`,
      `  ${balanceLine(section.balance)}`,
      // No `maxconn` on servers (default 0 = unlimited): HAProxy must not queue; the replica does.
      ...layout.servers.map((port, i) => `  server s${i} 127.0.0.1:${port} weight ${SERVER_WEIGHT}${observeSuffix(section.outlierDetection)}`),
    );
  }
  return lines.join("\n") + "\n";
}
