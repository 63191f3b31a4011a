#!/usr/bin/env bash
# The local Kubernetes control plane of the tests and the demo (issue 2; docs/local-cluster.md).
#
#   hack/local-cluster.sh up                  build if needed, start, wait until ready; last line: export KUBECONFIG=...
#   hack/local-cluster.sh down                stop every component by its recorded pid, remove the state
#   hack/local-cluster.sh status              exit 0 when the cluster is up and ready
#   hack/local-cluster.sh restart COMPONENT   kill -9 one component and start it again on the same state
#                                             (etcd, apiserver, controller-manager, scheduler, kubelet-sim, istiod)
#   hack/local-cluster.sh kubectl ARGS...     kubectl of the cluster's own release, as the admin
#   hack/local-cluster.sh kubeconfig          print the admin kubeconfig's path
#   hack/local-cluster.sh node stop|start NODE
#                                             stop or start one simulated node's kubelet (a node failure: the
#                                             Node turns Unknown, its pods NotReady, then they are evicted)
#   hack/local-cluster.sh build               only build the binaries (if their sources changed)
#   hack/local-cluster.sh istioctl ARGS...    istioctl of the pinned Istio, against the cluster as the admin
#   hack/local-cluster.sh xds NAMESPACE/POD   the xDS istiod sends to that pod: {listeners, routes, clusters, endpoints}
#   hack/local-cluster.sh trace -from NAMESPACE/POD -to HOST:PORT
#                                             one request followed through what istiod sends, as JSON
#
# istiod (component `istiod`) and those three commands run from a second binary, `istio`, built
# from hack/istio/ (its own Go module: istio.io/istio at one pinned version) the same way.
#
# The binary is built from hack/local-cluster/ into .local-cluster/bin/, and rebuilt only when a
# hash of its Go sources, go.mod, go.sum, embedded files and the Go version changes. The state
# (certificates, etcd data, pids, logs, kubeconfig) is in .local-cluster/, or in
# $LOCAL_CLUSTER_STATE_DIR if set; the binary in $LOCAL_CLUSTER_BIN_DIR if set (a second cluster can
# share the first one's binary).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/hack/local-cluster"
state="${LOCAL_CLUSTER_STATE_DIR:-$root/.local-cluster}"
bindir="${LOCAL_CLUSTER_BIN_DIR:-$state/bin}"
bin="$bindir/local-cluster"

source_hash() {
  (
    cd "$src"
    go version
    find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.yaml' \) -not -name '*_test.go' -not -path './bin/*' |
      LC_ALL=C sort | xargs sha256sum
  ) | sha256sum | cut -c1-16
}

is_built() { [[ -x "$bin" && -f "$bin.hash" && "$(cat "$bin.hash")" == "$1" ]]; }

build() {
  local hash
  hash="$(source_hash)"
  is_built "$hash" && return 0
  mkdir -p "$bindir"
  # One build at a time into one binary directory.
  if command -v flock >/dev/null; then
    exec 9>"$bindir/.lock"
    flock 9
    if is_built "$hash"; then
      exec 9>&-
      return 0
    fi
  fi
  build_unlocked "$hash"
  exec 9>&-
}

build_unlocked() {
  local version minor started
  version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")"
  minor="$(cut -d. -f2 <<<"$version")"
  # The upstream build stamps the version with -X; without it the components report v0.0.0-master.
  local ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  echo "local-cluster: building the control plane ($version) into ${bin#"$root"/}" >&2
  local total
  total="$(cd "$src" && go list -deps . 2>/dev/null | wc -l)" || true
  [[ "$total" -gt 0 ]] 2>/dev/null || total="~2700"
  echo "local-cluster: (a first build from an empty Go cache compiles $total packages: 10 to 20 min on 2 cores)" >&2
  started=$SECONDS
  # -v names each package as it is compiled: show a count every 100 so the build visibly progresses.
  (cd "$src" && go build -v -ldflags "$ldflags" -o "$bin.tmp" .) 2>&1 |
    awk -v total="$total" '
      /^(#|go: |[^ ]+\.go:)/ || / error/ { print; fflush(); next }
      { n++; if (n % 100 == 0) { printf "local-cluster: compiled %d of at most %d packages (%s)\n", n, total, $0; fflush() } }
      END { if (n) printf "local-cluster: compiled %d packages, linking done\n", n }' >&2
  if [[ ${PIPESTATUS[0]} -ne 0 || ! -x "$bin.tmp" ]]; then
    echo "local-cluster: build failed" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
  echo "$1" >"$bin.hash"
  echo "local-cluster: built in $((SECONDS - started))s" >&2
}

istio_src="$root/hack/istio"
istio_bin="$bindir/istio"

istio_hash() {
  (
    cd "$istio_src"
    go version
    find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -not -name '*_test.go' |
      LC_ALL=C sort | xargs sha256sum
  ) | sha256sum | cut -c1-16
}

# build_istio builds hack/istio into $bindir/istio when its hash changed, under its own lock.
build_istio() {
  local hash started total
  hash="$(istio_hash)"
  [[ -x "$istio_bin" && -f "$istio_bin.hash" && "$(cat "$istio_bin.hash")" == "$hash" ]] && return 0
  mkdir -p "$bindir"
  exec 8>"$bindir/.lock-istio"
  flock 8
  if [[ -x "$istio_bin" && -f "$istio_bin.hash" && "$(cat "$istio_bin.hash")" == "$hash" ]]; then
    exec 8>&-
    return 0
  fi
  local module version
  module="$(awk '$1 == "istio.io/istio" { print $2; exit }' "$istio_src/go.mod")"
  version="$(cat "$(cd "$istio_src" && go list -m -f '{{.Dir}}' istio.io/istio)/VERSION")-dev"
  echo "local-cluster: building istiod and istioctl (istio.io/istio $module, $version) into ${istio_bin#"$root"/}" >&2
  total="$(cd "$istio_src" && go list -deps . 2>/dev/null | wc -l)" || true
  [[ "$total" -gt 0 ]] 2>/dev/null || total="~2400"
  echo "local-cluster: (a first build from an empty Go cache compiles $total packages)" >&2
  started=$SECONDS
  # Istio's own builds stamp the version (it is the proxy version istiod assumes and reports).
  (cd "$istio_src" && go build -v -ldflags "-X istio.io/istio/pkg/version.buildVersion=$version -X istio.io/istio/pkg/version.buildStatus=Clean" -o "$istio_bin.tmp" .) 2>&1 |
    awk -v total="$total" '
      /^(#|go: |[^ ]+\.go:)/ || / error/ { print; fflush(); next }
      { n++; if (n % 100 == 0) { printf "local-cluster: istio: compiled %d of at most %d packages (%s)\n", n, total, $0; fflush() } }
      END { if (n) printf "local-cluster: istio: compiled %d packages, linking done\n", n }' >&2
  if [[ ${PIPESTATUS[0]} -ne 0 || ! -x "$istio_bin.tmp" ]]; then
    echo "local-cluster: istio build failed" >&2
    exit 1
  fi
  mv "$istio_bin.tmp" "$istio_bin"
  echo "$hash" >"$istio_bin.hash"
  echo "local-cluster: istio built in $((SECONDS - started))s" >&2
  exec 8>&-
}

run() { exec "$bin" -state-dir "$state" "$@"; }
run_istio() { exec "$istio_bin" -state-dir "$state" "$@"; }

cmd="${1:-help}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  up | restart)
    build
    build_istio
    run "$cmd" "$@"
    ;;
  istioctl)
    [[ -f "$state/cluster.json" ]] || { echo "local-cluster: down (no cluster in $state)" >&2; exit 1; }
    build_istio
    KUBECONFIG="${KUBECONFIG:-$state/kubeconfig}" exec "$istio_bin" istioctl --istioNamespace istio-system "$@"
    ;;
  xds | trace)
    [[ -f "$state/cluster.json" ]] || { echo "local-cluster: down (no cluster in $state)" >&2; exit 1; }
    build_istio
    run_istio "$cmd" "$@"
    ;;
  status | kubectl | kubeconfig | node)
    if [[ ! -f "$state/cluster.json" ]]; then
      echo "local-cluster: down (no cluster in $state)" >&2
      exit 1
    fi
    # The cluster's own binary answers; a source change is built by the next up or restart.
    [[ -x "$bin" ]] || build
    run "$cmd" "$@"
    ;;
  down)
    if [[ ! -e "$state" ]]; then
      echo "local-cluster: no cluster in $state" >&2
      exit 0
    fi
    # Any build can stop a cluster: do not rebuild only to tear down.
    [[ -x "$bin" ]] || build
    run down "$@"
    ;;
  build)
    build
    build_istio
    ;;
  help | -h | -help | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    ;;
  *)
    echo "local-cluster: unknown command \"$cmd\" (try: hack/local-cluster.sh help)" >&2
    exit 2
    ;;
esac
