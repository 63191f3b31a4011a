import { beforeAll, describe, expect, it } from "vitest";
import { useOperator } from "../operator/harness.js";
import { apply, get, mergePatch, remove } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { setUpPublishedExample, traceThroughProxies, type Trace } from "./support.js";

// Issue 9, 4.4 and part of 4.5: the TLS of each hop as the real istiod programs it, for callerTls DISABLE and
// ISTIO_MUTUAL and back, and with the namespace's PeerAuthentication STRICT. docs/api.md's security section
// states only what these tests show.

describe("callerTls as the real istiod programs both ends of each hop", () => {
  const h = useOperator("istio-tls");
  let caller = "";

  beforeAll(async () => {
    caller = await setUpPublishedExample(h.ns);
  });

  const traceWhen = (accept: (t: Trace) => boolean, description: string): Promise<Trace> => traceThroughProxies(caller, "sn0:80", accept, description);
  /** "plaintext", or TLS of either kind the trace reports ("istio-mtls" by auto mTLS, "tls" from a DestinationRule). */
  const callerHopIs = (tls: "plaintext" | "tls") => (t: Trace) => t.hops[0]!.endpoints.every((e) => (tls === "plaintext") === (e.tls === "plaintext"));

  /** The proxy-to-application hop: Istio mTLS (auto mTLS: the app pods carry tlsMode istio), accepted by the app's sidecar. */
  const expectAppHopMutual = (t: Trace): void => {
    for (const hop of t.hops.slice(1)) {
      expect(hop.endpoints.every((e) => e.tls === "istio-mtls"), `${hop.proxy} to the app`).toBe(true);
      expect(hop.endpoints.every((e) => e.accept?.tls === true), `the app's sidecars accept TLS from ${hop.proxy}`).toBe(true);
    }
  };

  it("DISABLE (the default): callers reach the proxies in plain text, and the proxies' chain takes plain text; proxies reach the app with Istio mTLS", async () => {
    const t = await traceWhen(callerHopIs("plaintext"), "plain text to the proxies");
    for (const hop of t.hops.slice(1)) expect(hop.filterChain).toMatchObject({ tls: false });
    expectAppHopMutual(t);
  });

  it("ISTIO_MUTUAL: callers originate Istio mTLS and the proxies' chain requires a client certificate", async () => {
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { callerTls: { mode: "ISTIO_MUTUAL" } } });
    const t = await traceWhen(
      (x) => callerHopIs("tls")(x) && x.hops.slice(1).every((hop) => hop.filterChain?.requireClientCertificate === true),
      "mTLS on both ends of the caller hop",
    );
    for (const hop of t.hops.slice(1)) expect(hop.filterChain).toMatchObject({ tls: true, requireClientCertificate: true });
    expect(await get("networking.istio.io/v1", "DestinationRule", h.ns, "ps-s0-callers")).toBeDefined();
    expectAppHopMutual(t);
  });

  it("back to DISABLE: both ends plain text again, and no callers' DestinationRule is left behind", async () => {
    await mergePatch("msvcbench.io/v1alpha1", "ProxyService", h.ns, "ps-s0", { spec: { callerTls: { mode: "DISABLE" } } });
    await waitFor(async () => (await get("networking.istio.io/v1", "DestinationRule", h.ns, "ps-s0-callers")) === undefined, {
      description: "the callers' DestinationRule deleted",
    });
    const t = await traceWhen((x) => callerHopIs("plaintext")(x) && x.hops.slice(1).every((hop) => hop.filterChain?.tls === false), "plain text again");
    expectAppHopMutual(t);
  });

  it("PeerAuthentication STRICT in the namespace does not cover the caller-to-proxy hop under DISABLE (a gateway listener is not a sidecar's inbound)", async () => {
    await apply({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default" }, spec: { mtls: { mode: "STRICT" } } }, h.ns);
    try {
      // STRICT reaches the app's inbound first: its chains then accept only TLS. Wait for that, then look at the caller hop.
      const t = await traceWhen(
        (x) => x.hops.slice(1).every((hop) => hop.endpoints.every((e) => e.accept?.tls === true)) && callerHopIs("plaintext")(x),
        "STRICT applied to the app, the caller hop still plain text",
      );
      for (const hop of t.hops.slice(1)) expect(hop.filterChain).toMatchObject({ tls: false });
      expectAppHopMutual(t);
    } finally {
      await remove("security.istio.io/v1", "PeerAuthentication", h.ns, "default");
    }
  });
});
