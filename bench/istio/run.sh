#!/usr/bin/env bash
# Measures hack/istio's build and istiod's idle memory (issue 9) and writes bench/results/istio-build.json.
#
#   bench/istio/run.sh              warm numbers and istiod's idle RSS (about 2 minutes)
#   bench/istio/run.sh -cold        also a build from an empty Go build cache (module cache kept; 10-15 min on 2 cores)
#
# The idle RSS is read from a private cluster of its own (a temporary state directory, the shared
# binaries), 30 s after `up`, so the shared cluster is not disturbed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
cold=false
[[ "${1:-}" == "-cold" ]] && cold=true
bindir="${LOCAL_CLUSTER_BIN_DIR:-$root/.local-cluster/bin}"
export LOCAL_CLUSTER_BIN_DIR="$bindir"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

hack/local-cluster.sh build >&2
# Warm, nothing changed: only the source hash is computed.
t0=$(now); hack/local-cluster.sh build >&2; t1=$(now)
noop=$(secs "$t0" "$t1")
# Warm, our own sources changed: that package is compiled again and the binary linked.
rm -f "$bindir/istio.hash"
t0=$(now); hack/local-cluster.sh build >&2; t1=$(now)
relink=$(secs "$t0" "$t1")

cold_json=null
if $cold; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "istio bench: cold build into $tmp (empty GOCACHE)" >&2
  t0=$(now)
  (cd hack/istio && GOCACHE="$tmp/cache" /usr/bin/time -f "%M" -o "$tmp/maxrss" go build -o "$tmp/istio" .) >&2
  t1=$(now)
  packages=$(cd hack/istio && go list -deps . | wc -l)
  cold_json=$(printf '{"seconds": %s, "packages": %s, "peakRssMiB": %s, "buildCacheMiB": %s, "binaryMiB": %s, "loadAverageAfter": "%s"}' \
    "$(secs "$t0" "$t1")" "$packages" "$(( $(cat "$tmp/maxrss") / 1024 ))" "$(du -sm "$tmp/cache" | cut -f1)" \
    "$(( $(stat -c %s "$tmp/istio") / 1048576 ))" "$(cut -d' ' -f1-3 /proc/loadavg)")
fi

state="$(mktemp -d)"
cleanup_state() { LOCAL_CLUSTER_STATE_DIR="$state" hack/local-cluster.sh down >&2 || true; rm -rf "$state"; }
trap 'cleanup_state; [[ -n "${tmp:-}" ]] && rm -rf "$tmp"' EXIT
t0=$(now); LOCAL_CLUSTER_STATE_DIR="$state" hack/local-cluster.sh up >/dev/null; t1=$(now)
up=$(secs "$t0" "$t1")
# Idle: 30 s after up, nothing applied. The wait is the measurement's definition, not a synchronisation.
sleep 30
pid=$(cat "$state/istiod.pid")
rss=$(awk '/^Rss:/ { print int($2 / 1024) }' "/proc/$pid/smaps_rollup")
pss=$(awk '/^Pss:/ { print int($2 / 1024) }' "/proc/$pid/smaps_rollup")

mkdir -p bench/results
cat >bench/results/istio-build.json <<JSON
{
  "what": "hack/istio (pilot-discovery + istioctl + xds + trace in one binary, istio.io/istio $(awk '$1 == "istio.io/istio" { print $2 }' hack/istio/go.mod)) build times and istiod's idle memory",
  "command": "bench/istio/run.sh${1:+ $1}",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "machine": "$(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB",
  "go": "$(go version | cut -d' ' -f3)",
  "binaryMiB": $(( $(stat -c %s "$bindir/istio") / 1048576 )),
  "warmNoChangeSeconds": $noop,
  "warmRebuildAfterSourceChangeSeconds": $relink,
  "coldBuild": $cold_json,
  "upWithIstiodSeconds": $up,
  "istiodIdleRssMiB": $rss,
  "istiodIdlePssMiB": $pss
}
JSON
cat bench/results/istio-build.json
