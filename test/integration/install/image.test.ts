import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Container, V1Deployment } from "@kubernetes/client-node";
import { createTestNamespace } from "../support/cluster.js";
import { apply, CLUSTER_ROLE, deploySampleApp, freePort, get, installCrdAndRole, readYaml, remove, waitReady } from "../operator/support.js";
import { waitFor } from "../../support/wait-for.js";
import { apiServer, boundServiceAccount, leaseHolder, ok, operatorImage, podman, serviceAccountDir } from "./support.js";

// The operator's image run as the cluster runs it (issue 11): the Deployment's own security context, args
// and environment, its ServiceAccount's token and CA where a pod has them, against the local control plane.
// Its API server listens on 127.0.0.1, so the containers share the host's network (--network host); that is
// also why each container serves its metrics on a port of its own instead of the Deployment's :8080.

const deployment = readYaml("kubernetes/operator.yaml").find((o) => o.kind === "Deployment") as unknown as V1Deployment;
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0] as V1Container;
const grace = pod.terminationGracePeriodSeconds ?? 30;
const SA = "proxy-service-account";
const LEASE = "proxy-service-operator";

/** podman flags for the pod's and the container's securityContext, as a kubelet would apply them. */
function securityFlags(): string[] {
  const p = pod.securityContext ?? {};
  const c = container.securityContext ?? {};
  const flags = [`--user=${c.runAsUser ?? p.runAsUser}:${c.runAsGroup ?? p.runAsGroup}`];
  // A pod's root filesystem is read-only with nothing mounted over /tmp, /run: podman's tmpfs would hide a write.
  if (c.readOnlyRootFilesystem) flags.push("--read-only", "--read-only-tmpfs=false");
  for (const cap of c.capabilities?.drop ?? []) flags.push(`--cap-drop=${cap}`);
  for (const cap of c.capabilities?.add ?? []) flags.push(`--cap-add=${cap}`);
  if (c.allowPrivilegeEscalation === false) flags.push("--security-opt=no-new-privileges");
  // RuntimeDefault: the container engine's default seccomp profile, which podman applies unless told otherwise.
  expect(p.seccompProfile?.type ?? c.seccompProfile?.type).toBe("RuntimeDefault");
  if (c.privileged) flags.push("--privileged");
  return flags;
}

interface Container {
  name: string;
  podName: string;
  port: number;
}

describe("the operator's image, run as its Deployment runs it", () => {
  let ns = "";
  let image = "";
  const cleanups: (() => Promise<void> | void)[] = [];
  const started: Container[] = [];

  beforeAll(async () => {
    image = operatorImage();
    await installCrdAndRole();
    const created = await createTestNamespace("image");
    ns = created.name;
    cleanups.push(created.cleanup);
    cleanups.push(await boundServiceAccount(ns, SA, CLUSTER_ROLE));
    await deploySampleApp(ns);
  }, 1_800_000);

  afterAll(async () => {
    for (const c of started) await podman(["rm", "--force", "--time=0", c.name]);
    if (ns) for (const name of ["ps-s0", "ps-s1"]) await remove("msvcbench.io/v1alpha1", "ProxyService", ns, name).catch(() => undefined);
    for (const c of cleanups.reverse()) await c();
  });

  /** Starts the image like a replica of the Deployment, in the test's namespace, and waits for /readyz. */
  async function start(): Promise<Container> {
    const suffix = randomBytes(3).toString("hex");
    const c = { name: `pso-image-test-${ns}-${suffix}`, podName: `proxy-service-operator-${suffix}`, port: await freePort() };
    const sa = await serviceAccountDir(ns, SA);
    cleanups.push(sa.cleanup);
    const { host, port } = apiServer();
    // The Deployment's args, with this container's metrics address and the test's namespace to watch: the
    // shared cluster's other namespaces belong to other tests' operators.
    const args = (container.args ?? []).map((a) => (a.startsWith("--metrics-bind-address=") ? `--metrics-bind-address=127.0.0.1:${c.port}` : a));
    ok(
      await podman([
        "run",
        "--detach",
        `--name=${c.name}`,
        "--network=host",
        ...securityFlags(),
        `--volume=${sa.dir}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
        `--env=KUBERNETES_SERVICE_HOST=${host}`,
        `--env=KUBERNETES_SERVICE_PORT=${port}`,
        // As the Deployment's fieldRefs set them: the pod's own name and namespace.
        `--env=POD_NAME=${c.podName}`,
        `--env=POD_NAMESPACE=${ns}`,
        image,
        ...args,
        `--namespace=${ns}`,
      ]),
      "podman run",
    );
    started.push(c);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${c.port}/readyz`)).ok, {
      timeout: 60_000,
      description: `container ${c.name} ready (podman logs ${c.name})`,
    });
    return c;
  }

  const logs = async (c: Container): Promise<string> => {
    const r = await podman(["logs", c.name]);
    return r.stdout + r.stderr;
  };

  it("has no shell or package manager, and runs as the non-root user its Deployment names", async () => {
    const inspect = JSON.parse(ok(await podman(["image", "inspect", image]), "podman image inspect")) as { Config: { User: string } }[];
    expect(inspect[0]?.Config.User).toBe(`${pod.securityContext?.runAsUser}:${pod.securityContext?.runAsGroup}`);
    for (const tool of ["/bin/sh", "/bin/bash", "/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/local/bin/npm"]) {
      const r = await podman(["run", "--rm", "--entrypoint", tool, image, "--version"]);
      expect(r.code, `${tool} should not exist in the image`).not.toBe(0);
    }
    const size = Number(ok(await podman(["image", "inspect", "--format", "{{.Size}}", image]), "podman image inspect").trim());
    console.log(`image ${image}: ${(size / 1e6).toFixed(0)} MB`);
    expect(size).toBeLessThan(220e6);
  });

  it("wins the Lease, reconciles the published example to Ready and serves /healthz, /readyz and /metrics", async () => {
    const c = await start();
    await waitFor(async () => (await leaseHolder(ns, LEASE)).startsWith(`${c.podName}_`), { timeout: 30_000, description: "the container holds the Lease" });
    const ps = readYaml("example/proxy-service-example.yaml")[0]!;
    await apply(ps, ns);
    await waitReady(ns, "ps-s0", 90_000);
    const svc = await get<{ metadata: { annotations?: Record<string, string> } }>("v1", "Service", ns, "sn0");
    expect(svc?.metadata.annotations?.["proxyservice.msvcbench.io/takeover"]).toBeDefined();
    for (const p of ["/healthz", "/readyz"]) expect((await fetch(`http://127.0.0.1:${c.port}${p}`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${c.port}/metrics`)).text();
    expect(metrics).toMatch(/^leader_election_master_status\{name="proxyservice"\} 1$/m);
    expect(metrics).toMatch(/^controller_runtime_reconcile_total\{controller="proxyservice",result="success"\} [1-9]/m);
    expect(await logs(c)).not.toMatch(/EROFS|EACCES|read-only file system/);
  });

  it("exits 0 within the termination grace period on SIGTERM and releases the Lease", async () => {
    const c = started[0]!;
    const t0 = Date.now();
    ok(await podman(["kill", "--signal=TERM", c.name]), "podman kill");
    const code = Number(ok(await podman(["wait", c.name]), "podman wait").trim());
    const seconds = (Date.now() - t0) / 1000;
    console.log(`SIGTERM to exit: ${seconds.toFixed(1)} s (grace period ${grace} s)`);
    expect(code, await logs(c)).toBe(0);
    expect(seconds).toBeLessThan(grace);
    expect(await leaseHolder(ns, LEASE)).toBe("");
  });

  it("two containers at once: one leads, the other stands by and takes over when the first is killed", async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const leaderName = await waitFor(
      async () => {
        const holder = await leaseHolder(ns, LEASE);
        return [a, b].find((c) => holder.startsWith(`${c.podName}_`))?.name;
      },
      { timeout: 30_000, description: "one of the two holds the Lease" },
    );
    const leader = leaderName === a.name ? a : b;
    const standby = leader === a ? b : a;
    const statusOf = async (c: Container): Promise<string | undefined> =>
      /^leader_election_master_status\{[^}]*\} (\d)$/m.exec(await (await fetch(`http://127.0.0.1:${c.port}/metrics`)).text())?.[1];
    expect(await statusOf(standby)).toBe("0");
    expect(await statusOf(leader)).toBe("1");

    ok(await podman(["kill", "--signal=KILL", leader.name]), "podman kill");
    const t0 = Date.now();
    await waitFor(async () => (await leaseHolder(ns, LEASE)).startsWith(`${standby.podName}_`), {
      timeout: 60_000,
      description: `the standby ${standby.name} takes the Lease`,
    });
    console.log(`SIGKILL of the leader to the standby leading: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The new leader reconciles: a second ProxyService in front of the same application's other Service.
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "sn1" }, spec: { selector: { app: "s0" }, ports: [{ name: "http", port: 80, targetPort: "http" }] } }, ns);
    await apply({ apiVersion: "msvcbench.io/v1alpha1", kind: "ProxyService", metadata: { name: "ps-s1" }, spec: { serviceName: "sn1", port: 80 } }, ns);
    await waitReady(ns, "ps-s1", 90_000);
    expect(await statusOf(standby)).toBe("1");
    // Delete both while the new leader runs, so the finalizers complete and the Services are restored.
    for (const name of ["ps-s0", "ps-s1"]) await remove("msvcbench.io/v1alpha1", "ProxyService", ns, name);
    await waitFor(async () => !(await get("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s0")) && !(await get("msvcbench.io/v1alpha1", "ProxyService", ns, "ps-s1")), {
      timeout: 60_000,
      description: "both ProxyServices deleted by the new leader",
    });
  });
});
