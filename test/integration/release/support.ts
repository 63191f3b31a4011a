import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ok, podman, script, type Result } from "../install/support.js";

/** What hack/release.sh pushed, from its release.json. */
export interface Release {
  version: string;
  registry: string;
  image: { repository: string; digest: string; reference: string };
  chart: { reference: string; version: string; digest: string };
  publicKey: string;
  trustedRoot: string;
  sbom: string;
  seconds: Record<string, number>;
}

/** A loopback registry (hack/release/registry.sh) and the release hack/release.sh made into it. */
export interface ReleasedRegistry {
  address: string;
  dir: string;
  release: Release;
  stop: () => Promise<void>;
}

/** Starts a registry of its own in a temporary directory and runs the whole release against it. */
export async function releaseIntoNewRegistry(): Promise<ReleasedRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), "pso-release-"));
  const stop = async (): Promise<void> => {
    await script("hack/release/registry.sh", ["stop", path.join(dir, "registry")]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const address = ok(await script("hack/release/registry.sh", ["start", path.join(dir, "registry")]), "hack/release/registry.sh start").trim();
    const out = path.join(dir, "out");
    const file = ok(await script("hack/release.sh", ["--registry", address, "--out", out]), "hack/release.sh").trim().split("\n").at(-1)!;
    const release = JSON.parse(readFileSync(file, "utf8")) as Release;
    return { address, dir, release, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `hack/cosign.sh ARGS` (cosign built from its Go module); `password` is COSIGN_PASSWORD, for the key commands. */
export const cosign = (args: string[], password = ""): Promise<Result> => script("hack/cosign.sh", args, { COSIGN_PASSWORD: password });

/** The flags that keep verification offline: no transparency log, the release's empty trusted root. */
export const offline = (release: Release): string[] => ["--insecure-ignore-tlog", "--trusted-root", release.trustedRoot];

/** The in-toto statements in `cosign verify-attestation`'s output (one DSSE envelope a line). */
export function attestedStatements(stdout: string): { predicateType: string; subject: { digest: { sha256: string } }[]; predicate: unknown }[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(Buffer.from((JSON.parse(line) as { payload: string }).payload, "base64").toString("utf8")));
}

/** A podman image store of its own, empty at first: a pull into it fetches every layer from the registry. */
export interface ImageStore {
  podman: (args: string[]) => Promise<Result>;
  remove: () => Promise<void>;
}

/** An empty image store in a temporary directory (podman --root/--runroot). */
export function emptyImageStore(): ImageStore {
  const dir = mkdtempSync(path.join(tmpdir(), "pso-store-"));
  const flags = ["--root", path.join(dir, "root"), "--runroot", path.join(dir, "run")];
  return {
    podman: (args) => podman([...flags, ...args]),
    remove: async () => {
      await podman([...flags, "rmi", "--all", "--force"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
