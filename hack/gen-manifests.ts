// Writes kubernetes/*.yaml from the chart's default values (issue 11: one source).
// Usage: npx tsx hack/gen-manifests.ts   (test/integration/install/manifests.test.ts fails when they are stale)
import { writeFileSync } from "node:fs";
import path from "node:path";
import { helmTemplate, manifestsFrom, repoRoot } from "./manifests.js";

for (const [file, text] of manifestsFrom(helmTemplate())) {
  const target = path.join(repoRoot, "kubernetes", file);
  writeFileSync(target, text);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
