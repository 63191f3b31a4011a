import { describe, expect, it } from "vitest";
import { exportedSeriesNames, labelValuesSelector, metricNames, withVariables } from "./promql.js";

describe("metricNames", () => {
  it("finds the metrics of a query, not its functions, aggregations, labels, keywords, durations or strings", () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, source_workload) (rate(istio_request_duration_milliseconds_bucket{reporter="source", response_code!~"5.."}[5m])))',
      ),
    ).toEqual(["istio_request_duration_milliseconds_bucket"]);
    expect(metricNames('max by (namespace) (leader_election_master_status{name="proxyservice"}) < 1 or absent(up{job="x"})')).toEqual([
      "leader_election_master_status",
      "up",
    ]);
    expect(metricNames("a_total / on (pod) group_left (node) b_info offset 5m unless c_2xx")).toEqual(["a_total", "b_info", "c_2xx"]);
    expect(metricNames("count(x) or vector(0)")).toEqual(["x"]);
  });

  it("refuses a __name__ matcher, which would hide the metric from the check", () => {
    expect(() => metricNames('{__name__=~"proxy_.*"}')).toThrow(/__name__/);
  });
});

describe("exportedSeriesNames", () => {
  it("names every family of the exposition, with a histogram's _bucket, _sum and _count", () => {
    const names = exportedSeriesNames("# HELP a_total x\n# TYPE a_total counter\n# TYPE t_seconds histogram\nt_seconds_bucket{le=\"1\"} 0\n");
    expect([...names].sort()).toEqual(["a_total", "t_seconds", "t_seconds_bucket", "t_seconds_count", "t_seconds_sum"]);
  });
});

describe("withVariables", () => {
  it("puts what Grafana sends in place of its interval variables and of the dashboard's own, and refuses an unknown one", () => {
    expect(withVariables('rate(x{ns=~"$namespace", job=~"${job}"}[$__rate_interval])', ["namespace", "job"])).toBe('rate(x{ns=~".*", job=~".*"}[1m])');
    expect(() => withVariables('x{ns=~"$nope"}', ["namespace"])).toThrow(/\$nope/);
  });

  it("reads the selector of a label_values variable", () => {
    expect(labelValuesSelector('label_values(x{a=~"$b"}, proxyservice)')).toBe('x{a=~"$b"}');
    expect(() => labelValuesSelector("query_result(x)")).toThrow(/label_values/);
  });
});
