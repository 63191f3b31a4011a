import type { V1ObjectMeta } from "@kubernetes/client-node";
import type {
  CallerTlsMode,
  LoadBalancer,
  PortProtocol,
  ProxyServiceSpecInput,
  ProxyServiceStatusShape,
  Protocol,
} from "./schema.js";

export type { CallerTlsMode, LoadBalancer, PortProtocol } from "./schema.js";

export const GROUP = "msvcbench.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const KIND = "ProxyService";
export const PLURAL = "proxyservices";
export const SINGULAR = "proxyservice";
export const SHORT_NAMES = ["ps"] as const;

/** spec as a user writes it (every field but serviceName optional); derived from src/api/schema.ts. */
export type ProxyServiceSpec = ProxyServiceSpecInput;

/** status as the operator writes it; derived from src/api/schema.ts. */
export type ProxyServiceStatus = ProxyServiceStatusShape;

/** One status condition (the shape of metav1.Condition). */
export type Condition = NonNullable<ProxyServiceStatus["conditions"]>[number];

export interface ProxyService {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta;
  spec: ProxyServiceSpec;
  status?: ProxyServiceStatus;
}

/** One extra port of spec.ports. */
export interface ExtraPort {
  readonly port: number;
  readonly protocol: PortProtocol;
}

/** A quantity as the schema accepts it (int or string); render turns it into a string. */
export type Quantity = string | number;

/** spec with every default filled in (src/api/defaults.ts); what render takes. */
export interface DefaultedSpec {
  readonly serviceName: string;
  readonly target: string;
  readonly loadBalancer: LoadBalancer;
  readonly protocol: Protocol;
  readonly port: number;
  readonly ports: readonly ExtraPort[];
  readonly uri: { readonly matchUriPrefix?: string; readonly rewriteUri?: string };
  readonly autoscaling: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCPUUtilizationPercentage: number;
  };
  readonly resources: {
    readonly requests: { readonly cpu: Quantity; readonly memory: Quantity };
    readonly limits: { readonly cpu: Quantity; readonly memory: Quantity };
  };
  readonly localityLoadBalancing: boolean;
  /** Unset means no warm-up. */
  readonly warmupDuration?: string;
  readonly callerTls: { readonly mode: CallerTlsMode };
  /** Candidates per least-request pick: 2..100 or "All" (a full scan); 2 (the default) when unset. */
  readonly leastRequest: { readonly choices: LeastRequestChoices };
  /** The proxies' outlier detection towards the target; on by default. */
  readonly outlierDetection: {
    readonly enabled: boolean;
    readonly consecutive5xxErrors: number;
    readonly interval: string;
    readonly baseEjectionTime: string;
    readonly maxEjectionPercent: number;
  };
}

/** spec.leastRequest.choices: a number of random candidates, or "All" for a full scan. */
export type LeastRequestChoices = number | "All";

/**
 * A ProxyService whose spec has every default filled in, and whose metadata has a name and a
 * namespace (render needs both; `proxy-service render` fills the namespace with "default").
 */
export interface DefaultedProxyService {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: typeof KIND;
  readonly metadata: Readonly<V1ObjectMeta> & { readonly name: string; readonly namespace: string };
  readonly spec: DefaultedSpec;
  readonly status?: ProxyServiceStatus;
}
