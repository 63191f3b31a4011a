// Removes from a production node_modules what Node never loads at run time: type declarations and
// source maps (about 40 MB, most of it @kubernetes/client-node's). Runs in the image's build with
// node alone (no shell): node hack/image/prune-node-modules.mjs DIR
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node prune-node-modules.mjs DIR");
const unused = /(\.d\.[cm]?ts|\.d\.ts\.map|\.[cm]?js\.map)$/;
let removed = 0;
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (entry.isFile() && unused.test(entry.name)) {
    rmSync(path.join(entry.parentPath, entry.name));
    removed++;
  }
}
console.log(`pruned ${removed} files from ${dir}`);
