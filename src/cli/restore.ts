import type { V1Service } from "@kubernetes/client-node";
import { Command } from "commander";
import { Annotations, Labels, originalOf, proxySelectorValue, readTakeoverRecord } from "../api/takeover.js";
import type { ProxyService } from "../api/types.js";
import { restoreService } from "../controller/cleanup.js";
import { FINALIZER, removeFinalizer } from "../controller/finalizer.js";
import { KubeClient } from "../kube/client.js";
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
      let restored = 0;
      for (const service of await listAll<V1Service & KubeObject>(client, Resources.service, namespace)) {
        if (names.length > 0 && !names.includes(service.metadata.name)) continue;
        const text = service.metadata.annotations?.[Annotations.takeover];
        if (text === undefined) continue;
        const record = readTakeoverRecord(service);
        if (!record) continue;
        const where = `${service.metadata.namespace}/${service.metadata.name}`;
        const original = originalOf(record, service, { [Labels.proxy]: proxySelectorValue(service.metadata.namespace ?? "", record.proxyService) });
        const selector = Object.entries(original.selector).map(([k, v]) => `${k}=${v}`).join(",");
        const ports = original.ports.map((p) => `${p.port}/${p.protocol ?? "TCP"}->${String(p.targetPort)}`).join(",");
        console.log(`${flags.dryRun ? "would restore" : "restoring"} Service ${where}: selector ${selector}; ports ${ports} (taken over by ProxyService ${record.proxyService})`);
        if (!flags.dryRun) await restoreService(client, service, record);
        restored += 1;
      }
      if (flags.removeFinalizers) {
        for (const ps of await listAll<ProxyService & KubeObject>(client, Resources.proxyService, namespace)) {
          if (!(ps.metadata.finalizers ?? []).includes(FINALIZER)) continue;
          console.log(`${flags.dryRun ? "would remove" : "removing"} finalizer from ProxyService ${ps.metadata.namespace}/${ps.metadata.name}`);
          if (!flags.dryRun) await removeFinalizer(client, ps);
        }
      }
      console.log(`${restored} Service(s) ${flags.dryRun ? "to restore" : "restored"}`);
      client.http.close();
    });
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
