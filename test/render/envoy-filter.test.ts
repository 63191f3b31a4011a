import { describe, expect, it } from "vitest";
import { SpecError } from "../../src/api/errors.js";
import { desired, type RenderOutcome } from "../../src/render/desired.js";
import { protoDuration } from "../../src/render/duration.js";
import { LEAST_REQUEST_TYPE, outboundClusterName, renderEnvoyFilter } from "../../src/render/envoy-filter.js";
import { proxyService, service, sn0 } from "./fixtures.js";

const twoPorts = service("sn0", {
  selector: { app: "s0" },
  ports: [
    { name: "http", port: 80, targetPort: "http" },
    { name: "grpc", port: 9090, targetPort: 9090 },
  ],
});

function envoyFilterOf(outcome: RenderOutcome) {
  if (outcome.kind !== "desired") throw new Error(`expected desired, got ${outcome.reason}`);
  return outcome.envoyFilter;
}

describe("renderEnvoyFilter (spec.leastRequest.choices)", () => {
  it("renders nothing at the default of 2, so the proxies keep Istio's own two-choice cluster", () => {
    expect(envoyFilterOf(desired(proxyService(), { service: sn0 }))).toBeUndefined();
    expect(envoyFilterOf(desired(proxyService({ leastRequest: { choices: 2 } }), { service: sn0 }))).toBeUndefined();
  });

  it("sets choice_count on least_request_lb_config for a number, on every target port, for the proxies' pods only", () => {
    const ps = proxyService({ leastRequest: { choices: 4 } });
    const outcome = desired(ps, { service: twoPorts });
    const filter = envoyFilterOf(outcome);
    expect(filter?.apiVersion).toBe("networking.istio.io/v1alpha3");
    expect(filter?.metadata.ownerReferences?.[0]?.kind).toBe("ProxyService");
    if (outcome.kind !== "desired") return;
    expect(filter?.spec.workloadSelector.labels).toEqual(outcome.proxySelector);
    expect(filter?.spec.configPatches).toEqual(
      [80, 9090].map((port) => ({
        applyTo: "CLUSTER",
        match: { context: "GATEWAY", cluster: { name: `outbound|${port}||sn0-ep.shop.svc.cluster.local` } },
        patch: { operation: "MERGE", value: { least_request_lb_config: { choice_count: 4 } } },
      })),
    );
  });

  it("sets load_balancing_policy with FULL_SCAN for All, without slow start when warmupDuration is unset", () => {
    const filter = envoyFilterOf(desired(proxyService({ leastRequest: { choices: "All" } }), { service: sn0 }));
    expect(filter?.spec.configPatches).toHaveLength(1);
    expect(filter?.spec.configPatches[0]?.patch.value).toEqual({
      load_balancing_policy: {
        policies: [
          {
            typed_extension_config: {
              name: "envoy.load_balancing_policies.least_request",
              typed_config: { "@type": LEAST_REQUEST_TYPE, selection_method: "FULL_SCAN" },
            },
          },
        ],
      },
    });
  });

  it("repeats spec.warmupDuration as slow_start_config inside the extension for All, since Envoy then ignores least_request_lb_config", () => {
    const filter = envoyFilterOf(desired(proxyService({ leastRequest: { choices: "All" }, warmupDuration: "1m30s" }), { service: sn0 }));
    const policies = (filter?.spec.configPatches[0]?.patch.value["load_balancing_policy"] as { policies: { typed_extension_config: { typed_config: unknown } }[] })
      .policies;
    expect(policies[0]?.typed_extension_config.typed_config).toEqual({
      "@type": LEAST_REQUEST_TYPE,
      selection_method: "FULL_SCAN",
      slow_start_config: { slow_start_window: "90s" },
    });
  });

  it("patches each target port once, even when two caller ports route to the same target port", () => {
    const ps = proxyService({ leastRequest: { choices: 8 }, target: "sn0-pods" });
    const target = service("sn0-pods", { selector: { app: "s0" }, ports: [{ name: "http", port: 80 }] });
    const callers = service("sn0", { selector: { app: "s0" }, ports: [{ name: "http", port: 80 }] });
    const filter = envoyFilterOf(desired(ps, { service: callers, target }));
    expect(filter?.spec.configPatches.map((p) => p.match.cluster.name)).toEqual([outboundClusterName("sn0-pods.shop.svc.cluster.local", 80)]);
  });

  it("throws a SpecError naming spec.leastRequest.choices and the fix when loadBalancer is not LEAST_REQUEST", () => {
    const ps = proxyService({ loadBalancer: "ROUND_ROBIN", leastRequest: { choices: "All" } });
    expect(() => renderEnvoyFilter(ps, [])).toThrow(SpecError);
    expect(() => renderEnvoyFilter(ps, [])).toThrow(/spec\.leastRequest\.choices: .*ROUND_ROBIN.*; remove spec\.leastRequest or set spec\.loadBalancer to LEAST_REQUEST/);
  });
});

describe("protoDuration", () => {
  it.each([
    ["30s", "30s"],
    ["1m30s", "90s"],
    ["500ms", "0.5s"],
    ["1.5s", "1.5s"],
    ["2h", "7200s"],
    ["1s1ms", "1.001s"],
  ])("writes %s as %s", (input, expected) => {
    expect(protoDuration(input)).toBe(expected);
  });

  it("throws on text that is not a duration", () => {
    expect(() => protoDuration("30 s")).toThrow(/not a duration/);
  });
});
