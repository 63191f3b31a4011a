import type { V1ObjectMeta } from "@kubernetes/client-node";

// Istio's networking.istio.io/v1 objects, limited to the fields this operator writes.
// @kubernetes/client-node has no Istio types, and these few fields do not justify a dependency.

export const ISTIO_API_VERSION = "networking.istio.io/v1";

export interface GatewayServer {
  port: { number: number; name: string; protocol: "HTTP" | "HTTP2" | "GRPC" | "TCP" | "HTTPS" | "TLS" };
  hosts: string[];
  tls?: { mode: "ISTIO_MUTUAL" };
}

export interface Gateway {
  apiVersion: typeof ISTIO_API_VERSION;
  kind: "Gateway";
  metadata: V1ObjectMeta;
  spec: { selector: Record<string, string>; servers: GatewayServer[] };
}

export interface RouteDestination {
  destination: { host: string; port: { number: number } };
}

export interface HttpRoute {
  name: string;
  match: { port: number; uri?: { prefix: string } }[];
  rewrite?: { uri: string };
  route: RouteDestination[];
}

export interface TcpRoute {
  match: { port: number }[];
  route: RouteDestination[];
}

export interface VirtualService {
  apiVersion: typeof ISTIO_API_VERSION;
  kind: "VirtualService";
  metadata: V1ObjectMeta;
  spec: { hosts: string[]; gateways: string[]; exportTo?: string[]; http?: HttpRoute[]; tcp?: TcpRoute[] };
}

export interface LoadBalancerSettings {
  simple: "LEAST_REQUEST" | "ROUND_ROBIN" | "RANDOM" | "PASSTHROUGH";
  localityLbSetting?: { enabled: boolean };
  warmupDurationSecs?: string;
}

/** DestinationRule trafficPolicy.outlierDetection, as far as the operator sets it. */
export interface OutlierDetectionSettings {
  consecutive5xxErrors: number;
  interval: string;
  baseEjectionTime: string;
  maxEjectionPercent: number;
}

export interface DestinationRule {
  apiVersion: typeof ISTIO_API_VERSION;
  kind: "DestinationRule";
  metadata: V1ObjectMeta;
  spec: {
    host: string;
    exportTo?: string[];
    trafficPolicy: { loadBalancer?: LoadBalancerSettings; outlierDetection?: OutlierDetectionSettings; tls?: { mode: "ISTIO_MUTUAL" } };
  };
}

/** EnvoyFilter is served only as v1alpha3 (it was never promoted to v1). */
export const ENVOY_FILTER_API_VERSION = "networking.istio.io/v1alpha3";

/** One CLUSTER patch of an EnvoyFilter; `value` is Envoy's Cluster in proto JSON (snake_case, as istiod reads it). */
export interface EnvoyFilterClusterPatch {
  applyTo: "CLUSTER";
  match: { context: "GATEWAY"; cluster: { name: string } };
  patch: { operation: "MERGE"; value: Record<string, unknown> };
}

export interface EnvoyFilter {
  apiVersion: typeof ENVOY_FILTER_API_VERSION;
  kind: "EnvoyFilter";
  metadata: V1ObjectMeta;
  spec: { workloadSelector: { labels: Record<string, string> }; configPatches: EnvoyFilterClusterPatch[] };
}
