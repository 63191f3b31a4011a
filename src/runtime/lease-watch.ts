import type { KubeHttp } from "../kube/http.js";
import { collectionPath, Resources } from "../kube/resources.js";
import { openWatch } from "../kube/watch.js";
import type { Lease, LeaseWatch } from "./leader-election.js";

/** A watch on the one Lease of leader election (by name), so a follower sees each renewal as it happens. */
export function leaseWatch(http: KubeHttp, lease: { readonly namespace: string; readonly name: string }): LeaseWatch {
  const path = collectionPath(Resources.lease, lease.namespace);
  return (resourceVersion, onLease) => {
    http.observe("GET", path, true);
    return openWatch(http, path, { resourceVersion, fieldSelector: `metadata.name=${lease.name}`, timeoutSeconds: 300 }, (e) => {
      if (e.type !== "BOOKMARK") onLease(e.object as Lease);
    });
  };
}
