import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/kube/object.js";
import { kubectl } from "../api/support.js";
import { waitFor } from "../../support/wait-for.js";
import { useOperator } from "./harness.js";
import { admin, apply, deploySampleApp, getPs, mergePatch, readyAddresses, remove, waitReady, type ProxyServiceObject } from "./support.js";

// The advisory conditions beside Ready (src/controller/advisories.ts), on the real API server with the
// operator under its own RBAC:
// - GlobalView (issue 12, part 3): the warning when autoscaling spread the load over so many proxies that
//   the simulator predicts most of the gain is lost, with the real HPA and EndpointSlice controllers deciding
//   how many proxies serve and how many target pods are ready;
// - CallerIdentity (issue 9, 4.6): the warning when an AuthorizationPolicy on the target's pods matches
//   callers' identities, which the proxies hide;
// - DestinationRules (issue 9, 4.5): the warning when a user's DestinationRule takes the proxies' place
//   (test/integration/istio/user-destination-rule.test.ts shows istiod doing it).

interface Event extends KubeObject {
  type: string;
  reason: string;
  note: string;
}

const psEvents = async (ns: string): Promise<Event[]> =>
  (
    await admin.request<{ items: Event[] }>("GET", `/apis/events.k8s.io/v1/namespaces/${ns}/events`, {
      query: { fieldSelector: "regarding.kind=ProxyService,regarding.name=ps-s0" },
    })
  ).items;

// The status is written before its event is published (src/controller/report-status.ts): a condition seen
// does not yet mean its event is there, so the events are waited for too.
async function waitEvents(ns: string, reason: string): Promise<Event[]> {
  let found: Event[] = [];
  await waitFor(
    async () => {
      found = (await psEvents(ns)).filter((e) => e.reason === reason);
      return found.length > 0;
    },
    { timeout: 10_000, description: `an event ${reason} about ps-s0` },
  );
  return found;
}

const conditionOf = (ps: ProxyServiceObject | undefined, type: string) => ps?.status?.conditions?.find((c) => c.type === type);
const globalView = (ps: ProxyServiceObject | undefined) => conditionOf(ps, "GlobalView");

async function waitCondition(ns: string, type: string, status: string, reason: string, messagePart: string): Promise<NonNullable<ReturnType<typeof conditionOf>>> {
  let seen: ReturnType<typeof conditionOf>;
  await waitFor(
    async () => {
      seen = conditionOf(await getPs(ns, "ps-s0"), type);
      return seen?.status === status && seen.reason === reason && seen.message.includes(messagePart);
    },
    { timeout: 90_000, description: `${type} ${status}/${reason} with "${messagePart}"` },
  ).catch((err: unknown) => {
    throw new Error(`${type}: last seen ${JSON.stringify(seen)}`, { cause: err });
  });
  return seen!;
}
const waitGlobalView = (ns: string, status: string, reason: string, messagePart: string) => waitCondition(ns, "GlobalView", status, reason, messagePart);

describe("GlobalView: how many proxies serve against how many target pods", () => {
  const h = useOperator("op-global-view");

  it("warns (False, TooManyProxies, a Warning event) with 8 proxies before 4 target pods, and clears with 1 proxy", { timeout: 240_000 }, async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await mergePatch("apps/v1", "Deployment", ns, "s0", { spec: { replicas: 4 } });
    await waitFor(async () => (await readyAddresses(ns, "sn0")).length === 4, { timeout: 60_000, description: "4 app pods ready" });
    const spec = { serviceName: "sn0", port: 80, autoscaling: { minReplicas: 8, maxReplicas: 8 } };
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0" }, spec }, ns);

    // The HPA scales the proxies to its minimum, and the operator learns the target's pods from its EndpointSlices.
    const warned = await waitGlobalView(ns, "False", "TooManyProxies", "8 proxies serve 4 target pods");
    expect(warned.message).toMatch(/keep \d+ % of one proxy's gain/);
    expect(warned.message).toContain("spec.resources.requests.cpu");
    const warning = await waitEvents(ns, "TooManyProxies");
    expect(warning).toEqual([expect.objectContaining({ type: "Warning" })]);
    const wide = kubectl(["get", "ps", "ps-s0", "-n", ns, "-o", "wide"]);
    const [header, row] = wide.stdout.trim().split("\n");
    const column = header!.split(/\s+/).indexOf("GLOBAL-VIEW");
    expect(row!.split(/\s+/)[column]).toBe("False");

    // The autoscaling change reaches the proxies through the HPA; the judgement follows the serving proxies.
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0", { spec: { autoscaling: { minReplicas: 1, maxReplicas: 1 } } });
    await waitGlobalView(ns, "True", "GainKept", "1 proxy serves 4 target pods");
    await waitFor(async () => (await psEvents(ns)).some((e) => e.reason === "GainKept" && e.type === "Normal"), {
      timeout: 10_000,
      description: "a Normal GainKept event tells the recovery",
    });
    // The app scaling is seen too (its EndpointSlices trigger a reconcile): the message follows the ready pods.
    await mergePatch("apps/v1", "Deployment", ns, "s0", { spec: { replicas: 6 } });
    await waitGlobalView(ns, "True", "GainKept", "1 proxy serves 6 target pods");
  });

  it("leaves the status when the policy becomes ROUND_ROBIN, whose balancing does not use in-flight counts", { timeout: 120_000 }, async () => {
    const { ns } = h; // ps-s0 of the test above, switched
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0" }, spec: { serviceName: "sn0", port: 80, loadBalancer: "ROUND_ROBIN", autoscaling: { minReplicas: 1, maxReplicas: 1 } } }, ns);
    await waitFor(async () => {
      const ps = await getPs(ns, "ps-s0");
      return ps?.status?.observedGeneration === ps?.metadata.generation && ps?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    }, { timeout: 60_000, description: "ps-s0 Ready as ROUND_ROBIN" });
    expect(globalView(await getPs(ns, "ps-s0"))).toBeUndefined();
  });
});

describe("CallerIdentity: AuthorizationPolicies that match callers the proxies hide", () => {
  const h = useOperator("op-caller-identity");

  it("warns (False, PrincipalsHidden, a Warning event naming the policy) once a policy on the app's pods names a caller, and clears when it goes", { timeout: 180_000 }, async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0" }, spec: { serviceName: "sn0", port: 80 } }, ns);
    // Ready first: the advisories are judged before the proxies serve, and the warning must not undo Ready.
    await waitReady(ns, "ps-s0");
    await waitCondition(ns, "CallerIdentity", "True", "NoHiddenPrincipals", "no AuthorizationPolicy");

    const policy = {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "allow-frontend" },
      spec: { selector: { matchLabels: { app: "s0" } }, action: "ALLOW", rules: [{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/frontend`] } }] }] },
    };
    await apply(policy, ns);
    // The policy's watch triggers the reconcile: no spec change is needed.
    const hidden = await waitCondition(ns, "CallerIdentity", "False", "PrincipalsHidden", `AuthorizationPolicy "${ns}/allow-frontend"`);
    expect(hidden.message).toContain(`cluster.local/ns/${ns}/sa/frontend`);
    expect(hidden.message).toContain("ISTIO_MUTUAL");
    const warnings = await waitEvents(ns, "PrincipalsHidden");
    expect(warnings).toEqual([expect.objectContaining({ type: "Warning" })]);
    expect(conditionOf(await getPs(ns, "ps-s0"), "Ready")?.status).toBe("True"); // a warning, not a failure

    await remove("security.istio.io/v1", "AuthorizationPolicy", ns, "allow-frontend");
    await waitCondition(ns, "CallerIdentity", "True", "NoHiddenPrincipals", "no AuthorizationPolicy");
  });
});

describe("DestinationRules: a user's rule that istiod gives the proxies instead of ours", () => {
  const h = useOperator("op-user-dr");

  it("warns (False, DestinationRuleConflict, a Warning event naming the rule) for a newer rule on the target's host, and clears when it goes", { timeout: 180_000 }, async () => {
    const { ns } = h;
    await deploySampleApp(ns);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s0" }, spec: { serviceName: "sn0", port: 80 } }, ns);
    await waitReady(ns, "ps-s0"); // as above: Ready before the warning, and still after it
    await waitCondition(ns, "DestinationRules", "True", "NoDestinationRuleConflict", "istiod gives the proxies");

    // Creation times have one-second resolution and istiod breaks ties by name: a name after "ps-s0" makes the
    // user's rule the later one even when both were created in the same second.
    const rule = { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "users-lb" }, spec: { host: "sn0-ep", trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } } } };
    await apply(rule, ns);
    const conflict = await waitCondition(ns, "DestinationRules", "False", "DestinationRuleConflict", `DestinationRule "${ns}/users-lb"`);
    expect(conflict.message).toContain("LEAST_REQUEST");
    expect(await waitEvents(ns, "DestinationRuleConflict")).toEqual([expect.objectContaining({ type: "Warning" })]);
    expect(conditionOf(await getPs(ns, "ps-s0"), "Ready")?.status).toBe("True");

    await remove("networking.istio.io/v1", "DestinationRule", ns, "users-lb");
    await waitCondition(ns, "DestinationRules", "True", "NoDestinationRuleConflict", "istiod gives the proxies");
  });
});
