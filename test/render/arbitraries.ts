import fc from "fast-check";
import type { V1Service } from "@kubernetes/client-node";
import { CALLER_TLS_MODES, LOAD_BALANCERS, PORT_PROTOCOLS, PROTOCOLS } from "../../src/api/schema.js";
import type { ProxyService } from "../../src/api/types.js";

/** A ProxyService that the CRD accepts, and the Service it fronts, consistent with each other. */
export interface RenderInput {
  readonly proxyService: ProxyService;
  readonly service: V1Service;
}

const RESERVED = new Set([15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090]);
const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,14}[a-z0-9])?$/);
const portNumber = fc.integer({ min: 1, max: 65535 }).filter((p) => !RESERVED.has(p));
const portName = fc.constantFrom("http", "http-web", "http2", "grpc", "grpc-api", "tcp", "metrics", "redis", "tls");
const quantity = fc.constantFrom<string | number>("100m", "250m", 1, "0.5", "2");
const memory = fc.constantFrom("64Mi", "128Mi", "1Gi");

/** Random valid (namespace, ProxyService, Service) triples; the Service's ports are all TCP, as the proxies require. */
export const renderInput: fc.Arbitrary<RenderInput> = fc
  .record({
    namespace: dnsLabel,
    name: dnsLabel,
    serviceName: dnsLabel,
    targetSuffix: fc.option(fc.constantFrom("-ep", "-pods", "-target"), { nil: undefined }),
    ports: fc.uniqueArray(fc.tuple(portNumber, portName, fc.option(fc.constantFrom("http", "grpc", "https"), { nil: undefined })), {
      minLength: 1,
      maxLength: 5,
      selector: ([n]) => n,
    }),
    mainIndex: fc.nat(),
    extraProtocols: fc.array(fc.constantFrom(...PORT_PROTOCOLS), { minLength: 5, maxLength: 5 }),
    listExtra: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    loadBalancer: fc.constantFrom(...LOAD_BALANCERS),
    protocol: fc.option(fc.constantFrom(...PROTOCOLS), { nil: undefined }),
    uri: fc.option(fc.tuple(fc.stringMatching(/^\/[a-z0-9/]{0,10}$/), fc.option(fc.stringMatching(/^\/[a-z0-9]{0,8}$/), { nil: undefined })), { nil: undefined }),
    replicas: fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 10 })),
    cpuTarget: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    resources: fc.option(fc.record({ cpu: quantity, memory }), { nil: undefined }),
    locality: fc.option(fc.boolean(), { nil: undefined }),
    warmup: fc.option(fc.constantFrom("10s", "1m", "1m30s", "500ms"), { nil: undefined }),
    callerTls: fc.option(fc.constantFrom(...CALLER_TLS_MODES), { nil: undefined }),
    choices: fc.option(fc.oneof(fc.integer({ min: 2, max: 100 }), fc.constant("All" as const)), { nil: undefined }),
  })
  .map((r) => {
    const ports = r.ports.map(([port, name, appProtocol], i) => ({ name: `${name}-${i}`, port, ...(appProtocol === undefined ? {} : { appProtocol }) }));
    const main = ports[r.mainIndex % ports.length]!;
    const extras = ports
      .map((p, i) => ({ p, i }))
      .filter(({ p, i }) => p.port !== main.port && r.listExtra[i])
      .map(({ p, i }) => ({ port: p.port, protocol: r.extraProtocols[i]! }));
    const weighted = r.loadBalancer === "LEAST_REQUEST" || r.loadBalancer === "ROUND_ROBIN";
    const spec: ProxyService["spec"] = {
      serviceName: r.serviceName,
      ...(r.targetSuffix === undefined ? {} : { target: `${r.serviceName}${r.targetSuffix}`.slice(0, 63) }),
      loadBalancer: r.loadBalancer,
      ...(r.protocol === undefined ? {} : { protocol: r.protocol }),
      port: main.port,
      ...(extras.length === 0 ? {} : { ports: extras }),
      ...(r.uri === undefined ? {} : { uri: { matchUriPrefix: r.uri[0], ...(r.uri[1] === undefined ? {} : { rewriteUri: r.uri[1] }) } }),
      autoscaling: {
        minReplicas: r.replicas[0],
        maxReplicas: r.replicas[0] + r.replicas[1],
        ...(r.cpuTarget === undefined ? {} : { targetCPUUtilizationPercentage: r.cpuTarget }),
      },
      ...(r.resources === undefined ? {} : { resources: { requests: r.resources } }),
      ...(r.locality === undefined ? {} : { localityLoadBalancing: r.locality }),
      ...(r.warmup === undefined || !weighted ? {} : { warmupDuration: r.warmup }),
      ...(r.callerTls === undefined ? {} : { callerTls: { mode: r.callerTls } }),
      ...(r.choices === undefined || r.loadBalancer !== "LEAST_REQUEST" ? {} : { leastRequest: { choices: r.choices } }),
    };
    const proxyService: ProxyService = {
      apiVersion: "msvcbench.io/v1alpha1",
      kind: "ProxyService",
      metadata: { name: r.name, namespace: r.namespace },
      spec,
    };
    const service: V1Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: r.serviceName, namespace: r.namespace },
      spec: { selector: { app: r.serviceName }, ports: ports.map((p) => ({ ...p, targetPort: p.port })) },
    };
    return { proxyService, service };
  });
