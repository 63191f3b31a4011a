// The operator's V8 heap as its image gets it in a cluster: Node sizes V8 from the container's memory limit.
//
// Node passes V8 the smaller of the machine's memory and the cgroup's limit (process.constrainedMemory()), and V8
// sizes both generations from it: the old generation's limit is half of it but at least 256 MiB, the young
// generation's semi-spaces 1/256 of that up to 256 MiB (1/128 above), between 1 and 16 MiB. So under the chart's
// limit (256 Mi) the operator runs with 1 MiB semi-spaces and a 256 MiB old generation, while the same build
// started plainly on this 24 GiB machine gets 16 MiB semi-spaces (a 32 MiB young generation, resident once used)
// and a 4 GiB old generation that V8 lets grow further between collections: that is what issue 17's 1,000
// ProxyServices measured, not the image. Checked on Node 20 with the limit file of a private mount namespace:
// 256 Mi and 512 Mi gave a 259 MiB heap limit and a 2 MiB new space, 1 Gi 524 MiB, 2 Gi 1,048 MiB, each the same
// as the flags below give. In a cluster the limit itself does it: the image sets no heap flags (its other node
// flags, in the ENTRYPOINT, are read by imageNodeFlags).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const MiB = 1024 * 1024;

/** The chart's default memory limit of the operator's container, in MiB (values.yaml, resources.limits.memory). */
export function chartMemoryLimitMiB(repoRoot: string): number {
  const values = parse(readFileSync(path.join(repoRoot, "charts/proxy-service-operator/values.yaml"), "utf8")) as {
    resources?: { limits?: { memory?: string } };
  };
  const limit = values.resources?.limits?.memory;
  const m = /^(\d+)(Mi|Gi)$/.exec(limit ?? "");
  if (!m) throw new Error(`charts/proxy-service-operator/values.yaml: resources.limits.memory is "${limit}"; the benchmark reads Mi or Gi (e.g. 256Mi)`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

/** The node flags that give V8 the heap Node gives it under a memory limit of `limitMiB` (64-bit, no pointer compression). */
export function heapFlagsForLimit(limitMiB: number): string[] {
  const oldMiB = Math.max(256, Math.floor(limitMiB / 2));
  const semi = Math.min(16 * MiB, Math.max(1 * MiB, (oldMiB * MiB) / (oldMiB <= 256 ? 256 : 128)));
  const semiMiB = Math.ceil(semi / (MiB / 4)) / 4; // V8 rounds up to its 256 KiB pages
  return [`--max-old-space-size=${oldMiB}`, `--max-semi-space-size=${semiMiB}`];
}

/**
 * The glibc malloc settings the image runs the operator with: the Dockerfile's `ENV MALLOC_...=...` lines, so
 * that the benchmarks measure what the image runs and a change to the Dockerfile reaches them.
 */
export function imageMallocEnv(repoRoot: string): Record<string, string> {
  const dockerfile = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
  return Object.fromEntries([...dockerfile.matchAll(/^ENV (MALLOC_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The node flags of the image's ENTRYPOINT (those between the node binary and the script), e.g. `--max-opt=1`. */
export function imageNodeFlags(repoRoot: string): string[] {
  const dockerfile = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (!line) throw new Error("Dockerfile: no ENTRYPOINT in exec form; the benchmark reads the operator's node flags from it");
  return (JSON.parse(line[1]!) as string[]).slice(1).filter((a) => a.startsWith("--"));
}

/**
 * How the benchmarks run the operator as its image does: the heap flags for `memoryLimitMiB` (0: this machine's
 * defaults), the image's malloc settings and node flags, and a sentence saying so for the results.
 */
export function deployedRuntime(repoRoot: string, memoryLimitMiB: number): { heapFlags: string[]; nodeFlags: string[]; mallocEnv: Record<string, string>; description: string } {
  const heapFlags = memoryLimitMiB > 0 ? heapFlagsForLimit(memoryLimitMiB) : [];
  const nodeFlags = imageNodeFlags(repoRoot);
  const mallocEnv = imageMallocEnv(repoRoot);
  const heap = heapFlags.length > 0 ? `V8 heap as under a ${memoryLimitMiB} Mi memory limit (${heapFlags.join(" ")})` : "Node's default heap for this machine";
  const malloc = Object.entries(mallocEnv).map(([k, v]) => `${k}=${v}`).join(" ");
  return { heapFlags, nodeFlags, mallocEnv, description: `dist/cli/main.js (compiled), ${heap}, the image's ${malloc} and node flags ${nodeFlags.join(" ")}` };
}
