import type { V1Service } from "@kubernetes/client-node";
import { Command } from "commander";
import { Annotations, observeRecord, originalOf, proxyPodSelector } from "../api/takeover.js";
import type { ProxyService } from "../api/types.js";
import { restoreService } from "../controller/cleanup.js";
import { FINALIZER } from "../api/names.js";
import { removeFinalizer } from "../controller/finalizer.js";
import { KubeClient, type Writer } from "../kube/client.js";
import { KubeHttp } from "../kube/http.js";
import type { KubeObject } from "../kube/object.js";
import { Resources, type ResourceType } from "../kube/resources.js";
import { KubeconfigError, loadConnection, type ApiServerConnection } from "../kube/connection.js";

interface RestoreFlags {
  kubeconfig?: string;
  namespace?: string;
  allNamespaces?: boolean;
  dryRun?: boolean;
  removeFinalizers?: boolean;
}

/**
 * `proxy-service restore`: undoes takeovers by hand, for when the operator was uninstalled before its
 * ProxyServices were deleted. Every Service carrying the takeover record annotation gets back the selector
 * and ports recorded there, and loses the annotation; the ClusterIP never changed.
 */
export function restoreCommand(): Command {
  return new Command("restore")
    .description("restore taken-over Services from their takeover annotation (after uninstalling the operator)")
    .argument("[services...]", "only these Services (default: every taken-over Service in scope)")
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)")
    .option("-n, --namespace <ns>", "namespace of the Services", "default")
    .option("-A, --all-namespaces", "every namespace")
    .option("--dry-run", "print what would be restored, change nothing")
    .option("--remove-finalizers", `also remove the operator's finalizer (${FINALIZER}) from ProxyServices in scope, so they can be deleted`)
    .action(async (names: string[], flags: RestoreFlags, command: Command) => {
      const client = new KubeClient(new KubeHttp(connectionOrExit(flags.kubeconfig, command)));
      const namespace = flags.allNamespaces ? undefined : flags.namespace;
      const dryRun = flags.dryRun ?? false;
      const services = await listAll<V1Service & KubeObject>(client, Resources.service, namespace);
      const report = await restoreServices(client, services, { names, dryRun }, (line) => console.log(line));
      if (flags.removeFinalizers) {
        // Releasing the ProxyService of a Service left unrestored would let the garbage collector delete the
        // proxies it still selects: its finalizer stays until the Service is put right.
        const unrestored = new Set(report.failed.map((f) => f.service));
        for (const ps of await listAll<ProxyService & KubeObject>(client, Resources.proxyService, namespace)) {
          if (!(ps.metadata.finalizers ?? []).includes(FINALIZER)) continue;
          const where = `${ps.metadata.namespace}/${ps.metadata.name}`;
          if (unrestored.has(`${ps.metadata.namespace}/${ps.spec.serviceName}`)) {
            console.log(`keeping the finalizer of ProxyService ${where}: its Service was not restored`);
            continue;
          }
          console.log(`${dryRun ? "would remove" : "removing"} finalizer from ProxyService ${where}`);
          if (!dryRun) await removeFinalizer(client, ps);
        }
      }
      console.log(`${report.restored.length} Service(s) ${dryRun ? "to restore" : "restored"}`);
      client.http.close();
      if (report.failed.length > 0) {
        const lines = report.failed.map((f) => `error: Service ${f.service} not restored: ${f.problem}`);
        command.error(lines.join("\n"), { exitCode: 1, code: "restore.failed" });
      }
    });
}

/** What one restore did: the Services restored (or to restore, on a dry run), and those it could not restore, with why. */
export interface RestoreReport {
  readonly restored: string[];
  readonly failed: { readonly service: string; readonly problem: string }[];
}

/**
 * Restores each of `services` that carries a takeover record (only `names`, when given): it gets back the recorded
 * selector and ports, merged with its owner's later edits (originalOf), and loses the annotation. A Service whose
 * record cannot be read (restoring from a guess could break it) or whose apply fails is reported, with the fix, and
 * the others are still restored. Prints one line per Service; `namespace/name` in the report.
 */
export async function restoreServices(
  client: Pick<Writer, "apply">,
  services: readonly (V1Service & KubeObject)[],
  opts: { readonly names: readonly string[]; readonly dryRun: boolean },
  print: (line: string) => void,
): Promise<RestoreReport> {
  const report: RestoreReport = { restored: [], failed: [] };
  for (const service of services) {
    if (opts.names.length > 0 && !opts.names.includes(service.metadata.name)) continue;
    const where = `${service.metadata.namespace}/${service.metadata.name}`;
    const { record, recordError } = observeRecord(service);
    if (recordError !== undefined) {
      const fix = `put its original selector and ports back by hand and remove the annotation ${Annotations.takeover} (docs/operator.md)`;
      report.failed.push({ service: where, problem: `${recordError}; ${fix}` });
      continue;
    }
    if (record === undefined) continue;
    const original = originalOf(record, service, proxyPodSelector(service.metadata.namespace ?? "", record.proxyService));
    const selector = Object.entries(original.selector).map(([k, v]) => `${k}=${v}`).join(",");
    const ports = original.ports.map((p) => `${p.port}/${p.protocol ?? "TCP"}->${String(p.targetPort)}`).join(",");
    print(`${opts.dryRun ? "would restore" : "restoring"} Service ${where}: selector ${selector}; ports ${ports} (taken over by ProxyService ${record.proxyService})`);
    if (!opts.dryRun) {
      try {
        await restoreService(client, service, record);
      } catch (err) {
        report.failed.push({ service: where, problem: `apply failed: ${err instanceof Error ? err.message : String(err)}; run restore again` });
        continue;
      }
    }
    report.restored.push(where);
  }
  return report;
}

async function listAll<T extends KubeObject>(client: KubeClient, r: ResourceType, namespace: string | undefined): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await client.listPage<T>(r, { namespace, limit: 500, continue: token });
    items.push(...page.items);
    token = page.continue;
  } while (token);
  return items;
}

/** The connection, or exit 2 with the kubeconfig's problem and its fix (bad input, not a crash). */
function connectionOrExit(file: string | undefined, command: Command): ApiServerConnection {
  try {
    return loadConnection(file);
  } catch (err) {
    if (err instanceof KubeconfigError) command.error(`error: ${err.message}`, { exitCode: 2, code: "restore.kubeconfig" });
    throw err;
  }
}
