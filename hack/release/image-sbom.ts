// The image's SBOM for hack/release.sh (issue 20): cyclonedx-npm's CycloneDX BOM of the production
// dependencies (what the Dockerfile's `npm ci --omit=dev` installs in /app/node_modules), completed with
// the runtime base's own inputs, which no npm tool sees: the Debian packages and the Node.js binary that
// hack/image/base.sh assembles from hack/image/base.lock, with the hashes that file pins.
//
//   npx tsx hack/release/image-sbom.ts NPM_BOM.json hack/image/base.lock > sbom.cdx.json
import { readFileSync } from "node:fs";

export interface Component {
  type: string;
  "bom-ref": string;
  name: string;
  version: string;
  purl: string;
  hashes: { alg: string; content: string }[];
  description?: string;
}

export interface Bom {
  metadata: { component: { "bom-ref": string; name: string; version: string } };
  components?: Component[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
}

// base.sh puts npm into the build base only; the runtime image has the Node.js binary and the .debs.
const BUILD_ONLY = new Set(["npm"]);

/**
 * The runtime base's components from base.lock's lines (`deb NAME VERSION SHA256`, `npm NAME VERSION
 * INTEGRITY`). Pure. Throws on a line of a kind it does not know, naming it, so that a new kind of input is
 * never left out of the SBOM silently.
 */
export function baseComponents(lock: string): Component[] {
  const components: Component[] = [];
  for (const [n, raw] of lock.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [kind, name, version, hash] = line.split(/\s+/);
    if (!kind || !name || !version || !hash) throw new Error(`base.lock line ${n + 1}: expected "KIND NAME VERSION HASH", got "${line}"`);
    if (kind === "deb") {
      const purl = `pkg:deb/debian/${name}@${encodeURIComponent(version)}`;
      components.push({ type: "library", "bom-ref": purl, name, version, purl, hashes: [{ alg: "SHA-256", content: hash }] });
    } else if (kind === "npm") {
      if (BUILD_ONLY.has(name)) continue;
      const purl = `pkg:npm/${name}@${version}`;
      const content = Buffer.from(hash.replace(/^sha512-/, ""), "base64").toString("hex");
      components.push({
        type: "application", "bom-ref": purl, name, version, purl, hashes: [{ alg: "SHA-512", content }],
        description: "the official Node.js binary, at /nodejs/bin/node",
      });
    } else {
      throw new Error(`base.lock line ${n + 1}: kind "${kind}" is neither deb nor npm; teach hack/release/image-sbom.ts what it puts in the image`);
    }
  }
  return components;
}

/** `bom` with the base's components added, and listed as dependencies of the operator. Pure. */
export function withBase(bom: Bom, lock: string): Bom {
  const base = baseComponents(lock);
  const root = bom.metadata.component["bom-ref"];
  const dependencies = (bom.dependencies ?? []).map((d) =>
    d.ref === root ? { ...d, dependsOn: [...(d.dependsOn ?? []), ...base.map((c) => c["bom-ref"])] } : d,
  );
  if (!dependencies.some((d) => d.ref === root)) dependencies.push({ ref: root, dependsOn: base.map((c) => c["bom-ref"]) });
  return { ...bom, components: [...(bom.components ?? []), ...base], dependencies: [...dependencies, ...base.map((c) => ({ ref: c["bom-ref"] }))] };
}

if (process.argv[1]?.endsWith("image-sbom.ts")) {
  const [npmBom, lock] = process.argv.slice(2);
  if (!npmBom || !lock) {
    console.error("usage: npx tsx hack/release/image-sbom.ts NPM_BOM.json BASE_LOCK");
    process.exit(2);
  }
  const bom = JSON.parse(readFileSync(npmBom, "utf8")) as Bom;
  process.stdout.write(JSON.stringify(withBase(bom, readFileSync(lock, "utf8")), null, 2) + "\n");
}
