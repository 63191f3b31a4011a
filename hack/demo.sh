#!/usr/bin/env bash
# The README's first command: the whole story on a fresh clone, no Docker and no real cluster needed.
#
#   hack/demo.sh          start the local control plane, install the CRD and RBAC, run the operator under its
#                         own ServiceAccount token, deploy the sample app (10 replicas behind sn0) and the
#                         example ProxyService, wait until it is Ready, and print before/after tables
#   hack/demo.sh stop     stop the demo's operator (the control plane keeps running; see the end of the output)
#
# Safe to run again: everything is applied, and a running demo operator is replaced by a fresh one.
# Images cannot run here: the simulated kubelet marks pods Running/Ready without containers, and Istio's
# gateway injection does not happen (no istiod); the control-plane behaviour is the real one.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

state="$root/.local-cluster"
ns="proxy-service-demo"
operator_ns="proxy-service-system"
metrics_port="${DEMO_METRICS_PORT:-18080}"
pidfile="$state/operator.pid"
logfile="$state/operator.log"
op_kubeconfig="$state/operator.kubeconfig"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
k() { hack/local-cluster.sh kubectl "$@"; }

stop_operator() {
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.2; done
    echo "stopped the demo operator (pid $(cat "$pidfile"))"
  fi
  rm -f "$pidfile"
}

if [[ "${1:-}" == "stop" ]]; then
  stop_operator
  exit 0
fi

# Polls "$@" once a second until it succeeds, printing what it waits for and the seconds elapsed.
wait_until() {
  local what="$1" timeout="$2"
  shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= timeout)); then
      printf '\n' >&2
      echo "timed out after ${timeout}s waiting for $what" >&2
      return 1
    fi
    printf '\r  waiting for %s ... %ds' "$what" $((SECONDS - start))
    sleep 1
  done
  printf '\r  %s: done after %ds          \n' "$what" $((SECONDS - start))
}

if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  step "npm ci (first run)"
  npm ci --no-audit --no-fund
fi

step "local control plane (hack/local-cluster.sh up; the first build takes a while)"
export_line="$(hack/local-cluster.sh up | tail -n 1)"
eval "$export_line"
echo "$export_line"

step "CRD and RBAC (kubernetes/: CRD, ClusterRole, ClusterRoleBinding, the operator's Namespace and ServiceAccount)"
k apply --server-side -f kubernetes/crd.yaml -f kubernetes/cluster-role.yaml -f kubernetes/cluster-role-binding.yaml
# The Namespace and ServiceAccount of kubernetes/operator.yaml, not its Deployment: the operator runs here as a
# local process (no image can run on this machine), under the same ServiceAccount and ClusterRole.
k create namespace "$operator_ns" --dry-run=client -o yaml | k apply --server-side -f -
k -n "$operator_ns" create serviceaccount proxy-service-account --dry-run=client -o yaml | k apply --server-side -f -
k wait --for=condition=Established crd/proxyservices.msvcbench.io --timeout=60s

step "the operator, under a token of its own ServiceAccount (not admin)"
stop_operator
token="$(k -n "$operator_ns" create token proxy-service-account --duration=24h)"
server="$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')"
ca="$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')"
umask 077
cat >"$op_kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: $server
      certificate-authority-data: $ca
users:
  - name: proxy-service-account
    user:
      token: $token
contexts:
  - name: operator
    context: { cluster: local, user: proxy-service-account }
current-context: operator
EOF
umask 022
# Scoped to the demo's namespace: a test run on the same control plane starts operators of its own for its
# namespaces, and a second operator reconciling those would race them.
POD_NAMESPACE="$operator_ns" nohup node bin/proxy-service.js run --kubeconfig "$op_kubeconfig" \
  --namespace "$ns" --metrics-bind-address "127.0.0.1:$metrics_port" >"$logfile" 2>&1 &
echo $! >"$pidfile"
echo "operator pid $(cat "$pidfile"), logs in ${logfile#"$root"/}"
wait_until "the operator's caches (/readyz)" 60 curl -sf "http://127.0.0.1:$metrics_port/readyz"

if k -n "$ns" get ps ps-s0 >/dev/null 2>&1; then
  # A second run starts from "before" again: deleting the ProxyService makes the operator restore sn0.
  step "removing the previous run's ProxyService (the operator restores sn0)"
  k -n "$ns" delete ps ps-s0 --wait=true --timeout=120s
fi

step "the sample application: Deployment s0 (10 replicas) behind Service sn0, in namespace $ns"
k create namespace "$ns" --dry-run=client -o yaml | k apply --server-side -f -
# Istio's sidecar injection (istiod runs in the local cluster), so the app and the caller get real sidecars.
k label namespace "$ns" istio-injection=enabled --overwrite
k -n "$ns" apply --server-side -f example/sample-app.yaml
k -n "$ns" run caller --image=curlimages/curl:8.10.1 --labels=app=caller --command -- sleep infinity 2>/dev/null || true
wait_until "10 ready s0 pods" 120 bash -c "[[ \$(hack/local-cluster.sh kubectl -n $ns get deploy s0 -o jsonpath='{.status.readyReplicas}') == 10 ]]"

# The path of one request from the caller's sidecar to sn0:80, in what istiod sends (hack/trace-summary.mjs).
trace_is() { hack/local-cluster.sh trace -from "$ns/caller" -to sn0:80 2>/dev/null | node hack/trace-summary.mjs "$1" >/dev/null; }
show_trace() { hack/local-cluster.sh trace -from "$ns/caller" -to sn0:80 2>/dev/null | node hack/trace-summary.mjs any; }

show() {
  k -n "$ns" get services -o wide
  echo
  k -n "$ns" get endpointslices -o wide
  echo
  k -n "$ns" get deployments -o wide
}

step "BEFORE: callers of sn0 reach the 10 application pods directly"
show

step "the example ProxyService (example/proxy-service-example.yaml, unchanged)"
k -n "$ns" apply --server-side -f example/proxy-service-example.yaml
ready_reason() { k -n "$ns" get ps ps-s0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}' 2>/dev/null; }
start=$SECONDS
until [[ "$(k -n "$ns" get ps ps-s0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == "True" ]]; do
  if ((SECONDS - start >= 180)); then
    echo "timed out; see $logfile and: hack/local-cluster.sh kubectl -n $ns describe ps ps-s0" >&2
    exit 1
  fi
  printf '\r  waiting for ps-s0 Ready ... %ds (now: %s)          ' $((SECONDS - start)) "$(ready_reason || true)"
  sleep 1
done
printf '\r  ps-s0 Ready after %ds                                        \n' $((SECONDS - start))
# The EndpointSlice controller follows the new selector within moments; wait for it before printing.
wait_until "sn0's endpoints to be the proxy pods" 60 bash -c \
  "hack/local-cluster.sh kubectl -n $ns get endpointslices -l kubernetes.io/service-name=sn0 -o jsonpath='{.items[*].endpoints[*].targetRef.name}' | grep -q ps-s0"

step "AFTER: sn0 (same ClusterIP) now reaches the proxy pods; sn0-ep reaches the application pods"
show
echo
wait_until "istiod to send the caller the path through the proxies" 60 trace_is proxies
echo "A request from pod caller to sn0:80, as istiod programs the proxies:"
show_trace
echo
k -n "$ns" get horizontalpodautoscalers,poddisruptionbudgets
echo
k -n "$ns" get gateways.networking.istio.io,virtualservices.networking.istio.io,destinationrules.networking.istio.io
echo
k -n "$ns" get ps
echo
k -n "$ns" get events --field-selector involvedObject.kind=ProxyService --sort-by=.lastTimestamp 2>/dev/null | tail -n 12 || true

step "RESTORE: deleting ps-s0 gives sn0 back exactly; the caller goes to the application pods directly again"
k -n "$ns" delete ps ps-s0 --wait=true --timeout=120s
wait_until "istiod to send the caller the direct path" 60 trace_is direct
show_trace
k -n "$ns" get svc sn0 -o wide

step "the ProxyService again, for you to explore"
k -n "$ns" apply --server-side -f example/proxy-service-example.yaml
wait_until "ps-s0 Ready" 120 bash -c "[[ \$(hack/local-cluster.sh kubectl -n $ns get ps ps-s0 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}') == True ]]"

cat <<EOF

Explore:
  $export_line
  hack/local-cluster.sh kubectl -n $ns describe ps ps-s0          # conditions and the events that tell the story
  hack/local-cluster.sh kubectl -n $ns get svc sn0 -o yaml         # the takeover record annotation
  curl -s http://127.0.0.1:$metrics_port/metrics | grep ^controller_runtime_reconcile_total
  tail -f ${logfile#"$root"/}                                # the operator's JSON logs
  hack/local-cluster.sh trace -from $ns/caller -to sn0:80          # the request's path in istiod's xDS (JSON)
  hack/local-cluster.sh kubectl -n $ns delete ps ps-s0             # sn0 is restored exactly, the rest removed

Stop:
  hack/demo.sh stop                  # the operator
  hack/local-cluster.sh down         # the control plane (removes its state)
EOF
