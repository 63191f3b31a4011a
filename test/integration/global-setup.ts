import { execFileSync } from "node:child_process";
import path from "node:path";

// Starts the local control plane once per run (like envtest), unless one is already up:
// `hack/local-cluster.sh up` is idempotent. It is left running afterwards so that a second
// run is fast; `hack/local-cluster.sh down` stops it.
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync(path.join(root, "hack/local-cluster.sh"), ["up"], { cwd: root, stdio: "inherit" });
}
