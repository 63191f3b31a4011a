import { spawn, spawnSync, execFileSync } from "node:child_process";
import path from "node:path";

// Starts the local control plane once per run (like envtest) and stops it afterwards, unless it was
// already up: a developer who runs `hack/local-cluster.sh up` first keeps it across runs (fast
// reruns), while a CI run from a clean clone leaves no processes behind.
export default function setup(): (() => Promise<void>) | undefined {
  const root = path.resolve(import.meta.dirname, "../..");
  const script = path.join(root, "hack/local-cluster.sh");
  const wasUp = spawnSync(script, ["status"], { cwd: root, stdio: "ignore" }).status === 0;
  execFileSync(script, ["up"], { cwd: root, stdio: "inherit" });
  if (wasUp) return undefined;
  // Asynchronous, so that vitest's own shutdown of its workers is not held up while the cluster stops.
  return () =>
    new Promise((resolve, reject) => {
      console.log("stopping the local control plane this run started (run `hack/local-cluster.sh up` first to keep it)");
      const down = spawn(script, ["down"], { cwd: root, stdio: "inherit" });
      down.on("error", reject);
      down.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`hack/local-cluster.sh down exited ${code}`))));
    });
}
