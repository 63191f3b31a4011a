import type { SimConfig } from "./config.js";
import { simulate } from "./simulate.js";

/** One number of proxies K and what the simulator predicts for it. */
export interface AffordRow {
  readonly proxies: number;
  readonly mean: number;
  readonly p95: number;
  /** Sidecar mean over this K's mean (above 1: the ProxyService is faster). */
  readonly ratio: number;
  /** Share of K = 1's gain over sidecar that K keeps: (ratio(K) - 1) / (ratio(1) - 1). */
  readonly gainKept: number;
}

export interface AffordAnswer {
  readonly sidecarMean: number;
  readonly rows: readonly AffordRow[];
  /** The most proxies that all keep at least `keep` of the gain (at least 1). */
  readonly affordable: number;
}

/** The default numbers of proxies tried: dense where the gain moves fastest. */
export const AFFORD_PROXIES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32] as const;

/**
 * "How many proxies can I afford?": simulates `base` in sidecar mode and in proxy mode for each K
 * in `proxies`, and returns the most proxies that keep at least `keep` (0..1) of K = 1's gain over
 * the sidecars, with every row; the sidecars draw base.choices candidates, the proxies
 * `proxyChoices` (default the same). The shares are on the mean. Pure and deterministic (the seed is
 * base.seed); costs one simulation per K plus one.
 */
export function affordableProxies(
  base: SimConfig,
  keep: number,
  proxies: readonly number[] = AFFORD_PROXIES,
  proxyChoices: SimConfig["choices"] = base.choices,
): AffordAnswer {
  const sidecar = simulate({ ...base, mode: "sidecar" });
  const results = proxies.map((k) => ({ k, r: simulate({ ...base, mode: "proxy", proxies: k, choices: proxyChoices }) }));
  const first = results[0]?.r;
  if (first === undefined) throw new Error("affordableProxies: no numbers of proxies to try");
  const gainOne = sidecar.mean / first.mean - 1;
  const rows = results.map(({ k, r }) => {
    const ratio = sidecar.mean / r.mean;
    return { proxies: k, mean: r.mean, p95: r.p95, ratio, gainKept: gainOne > 0 ? (ratio - 1) / gainOne : 0 };
  });
  let affordable = 1;
  for (const row of rows) {
    if (row.gainKept < keep) break;
    affordable = row.proxies;
  }
  return { sidecarMean: sidecar.mean, rows, affordable };
}
