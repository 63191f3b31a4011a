import { spawnSync, execFileSync } from "node:child_process";
import path from "node:path";

// Starts the local control plane once per run (like envtest) and stops it afterwards, unless it was
// already up: a developer who runs `hack/local-cluster.sh up` first keeps it across runs (fast
// reruns), while a CI run from a clean clone leaves no processes behind.
export default function setup(): (() => void) | undefined {
  const root = path.resolve(import.meta.dirname, "../..");
  const cluster = (...args: string[]) => execFileSync(path.join(root, "hack/local-cluster.sh"), args, { cwd: root, stdio: "inherit" });
  const wasUp = spawnSync(path.join(root, "hack/local-cluster.sh"), ["status"], { cwd: root, stdio: "ignore" }).status === 0;
  cluster("up");
  if (wasUp) return undefined;
  return () => {
    console.log("stopping the local control plane this run started (run `hack/local-cluster.sh up` first to keep it)");
    cluster("down");
  };
}
