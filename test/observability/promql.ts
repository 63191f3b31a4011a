// What the observability tests need of PromQL and of Grafana's dashboard JSON, without a parser of our own
// for what Prometheus can judge itself: Prometheus parses every query (the integration test sends them to a
// real server); this file only finds which metric names a query reads and fills in Grafana's variables.

const KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan"]);

/**
 * The metric names a PromQL expression reads: the identifiers that are neither a function or aggregation
 * (followed by "("), a keyword, a label (inside {...} or a by/without/on/ignoring list) nor a number or
 * duration. Pure. Throws on `__name__` matchers, which hide the name from this reading.
 */
export function metricNames(expr: string): string[] {
  if (expr.includes("__name__")) throw new Error(`query selects by __name__, which hides its metric: ${expr}`);
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ") // label lists
    .replace(/\b\d[\w.]*/g, " "); // numbers and durations (5m, 0.99, 1e3)
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** The metric families a /metrics exposition declares (# TYPE lines), with the series names each one yields. */
export function exportedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
  }
  return names;
}

/** A Grafana dashboard, as far as the tests read it. */
export interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string }; definition?: string }[] };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

/** Every panel, the ones inside collapsed rows included. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * The value Grafana would put in place of each variable when the dashboard is opened on "All", as
 * Prometheus receives it: `$__rate_interval` and `$__interval` become durations, the dashboard's own
 * variables (all "All" with allValue ".*") the regular expression ".*". Throws on a variable it does not know.
 */
export function withVariables(expr: string, dashboardVariables: readonly string[]): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    if (name === "__rate_interval") return "1m";
    if (name === "__interval" || name === "__range") return "15s";
    if (dashboardVariables.includes(name)) return ".*";
    throw new Error(`unknown Grafana variable ${whole} in ${expr}`);
  });
}

/** The series selector inside a `label_values(selector, label)` variable query. */
export function labelValuesSelector(query: string): string {
  const m = /^label_values\((.+),\s*\w+\)$/.exec(query.trim());
  if (!m?.[1]) throw new Error(`variable query is not label_values(selector, label): ${query}`);
  return m[1];
}
