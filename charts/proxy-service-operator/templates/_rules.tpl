{{/*
The operator's RBAC rules, in one place: the ClusterRole has both lists; in watchNamespaces mode each
watched namespace's Role has "pso.rules.reconcile" and the Lease namespace's Role "pso.rules.leaderElection".
Exactly what the operator uses, no wildcards: test/integration/operator/rbac.test.ts runs the operator
under these rules (kubernetes/cluster-role.yaml, generated from this chart) and fails on any rule that it
never exercises. Objects are created and changed by server-side apply: the `patch` verb, plus `create`
when the apply creates the object.
*/}}
{{- define "pso.rules.reconcile" -}}
# The primary resource: cached (list, watch); its finalizer is added and removed by a JSON patch (patch).
- apiGroups: ["msvcbench.io"]
  resources: ["proxyservices"]
  verbs: ["list", "watch", "patch"]
- apiGroups: ["msvcbench.io"]
  resources: ["proxyservices/status"]
  verbs: ["patch"]
# Owned objects carry ownerReferences with blockOwnerDeletion, which clusters with the
# OwnerReferencesPermissionEnforcement admission plugin allow only to who may update the owner's finalizers.
- apiGroups: ["msvcbench.io"]
  resources: ["proxyservices/finalizers"]
  verbs: ["update"]
# Services: cached; `get` is the live read before a restore (never restore from a stale cache).
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.istio.io"]
  resources: ["gateways", "virtualservices", "destinationrules", "envoyfilters"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# Read only: the proxy pods (label-selected, so only those of ProxyServices are cached), whose readiness
# decides the takeover and the fallback to the application's pods.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
# Read only, for the advisory conditions: EndpointSlices (cached as summaries: the target's ready pods,
# GlobalView) and the users' AuthorizationPolicies (CallerIdentity).
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["list", "watch"]
- apiGroups: ["security.istio.io"]
  resources: ["authorizationpolicies"]
  verbs: ["list", "watch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}

{{- define "pso.rules.leaderElection" -}}
# Leader election; a standby replica watches the Lease to see each renewal as it happens.
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "watch", "create", "update"]
{{- end -}}
