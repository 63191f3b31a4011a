#!/usr/bin/env bash
# Benchmark of the local control plane (issue 2's goals). Prints and writes bench/results/local-cluster.json:
#   - up_seconds: `hack/local-cluster.sh up` with the binary built, from a downed cluster (median of N runs)
#   - idle RSS of all components summed (and PSS, which counts the shared binary's pages once), after an idle wait
#   - cold_build: a first build from an empty Go build cache (a fresh GOCACHE; the module cache is kept):
#     wall time, the largest single process's peak RSS (/usr/bin/time -v) and the peak of all build processes summed
#
# Usage: bench/local-cluster/run.sh [-runs N] [-idle SECONDS] [-skip-cold-build]
# It runs a cluster of its own in a temporary state directory (or $LOCAL_CLUSTER_STATE_DIR), with the
# shared cluster's binary, so it never disturbs the shared cluster; that one is removed at the end.
# The cold build keeps both cores busy for 10 to 20 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
runs=5
idle=30
cold=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -runs) runs="$2"; shift 2 ;;
    -idle) idle="$2"; shift 2 ;;
    -skip-cold-build) cold=0; shift ;;
    *) echo "usage: $0 [-runs N] [-idle SECONDS] [-skip-cold-build]" >&2; exit 2 ;;
  esac
done
lc="$root/hack/local-cluster.sh"
export LOCAL_CLUSTER_BIN_DIR="${LOCAL_CLUSTER_BIN_DIR:-$root/.local-cluster/bin}"
export LOCAL_CLUSTER_STATE_DIR="${LOCAL_CLUSTER_STATE_DIR:-$(mktemp -d /tmp/local-cluster-bench.XXXXXX)}"
state="$LOCAL_CLUSTER_STATE_DIR"
trap '"$lc" down >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
out="$root/bench/results/local-cluster.json"
mkdir -p "$(dirname "$out")"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "==> build (if needed)"
"$lc" build

echo "==> up, $runs times, each from a downed cluster"
times=()
for i in $(seq "$runs"); do
  "$lc" down >/dev/null 2>&1
  t0=$(now)
  "$lc" up >/dev/null 2>"$state.up.log" || { cat "$state.up.log" >&2; exit 1; }
  t1=$(now)
  times+=("$(elapsed "$t0" "$t1")")
  echo "    run $i: ${times[-1]} s"
done
rm -f "$state.up.log"
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "    median: $median s"

echo "==> idle memory after ${idle}s"
sleep "$idle"
rss_json=""
total_rss=0
total_pss=0
for name in etcd apiserver controller-manager scheduler kubelet-sim; do
  pid=$(cat "$state/$name.pid")
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
  total_rss=$((total_rss + rss))
  total_pss=$((total_pss + pss))
  rss_json+="\"$name\": {\"rss_mib\": $((rss / 1024)), \"pss_mib\": $((pss / 1024))}, "
  printf '    %-18s RSS %5d MiB  PSS %5d MiB\n' "$name" $((rss / 1024)) $((pss / 1024))
done
echo "    total: RSS $((total_rss / 1024)) MiB, PSS $((total_pss / 1024)) MiB"

cold_json="null"
if [[ $cold -eq 1 ]]; then
  echo "==> first build from an empty Go build cache (this takes a while)"
  cache=$(mktemp -d)
  bin=$(mktemp -d)
  peak_file=$(mktemp)
  # Sample the summed RSS of every process of the build (go, compile, link) once a second.
  (
    peak=0
    while sleep 1; do
      sum=$(ps -eo rss=,args= | awk '/go-build|go build|\/compile |\/link / && !/awk/ { s += $1 } END { print s + 0 }')
      ((sum > peak)) && peak=$sum && echo "$peak" >"$peak_file"
    done
  ) &
  sampler=$!
  t0=$(now)
  (cd hack/local-cluster && GOCACHE="$cache" /usr/bin/time -v go build -o "$bin/local-cluster" . 2>"$bin/time.txt")
  t1=$(now)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  build_s=$(elapsed "$t0" "$t1")
  max_rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$bin/time.txt")
  peak_sum=$(cat "$peak_file" 2>/dev/null || echo 0)
  cache_mib=$(du -sm "$cache" | cut -f1)
  bin_mib=$(du -sm "$bin/local-cluster" | cut -f1)
  rm -rf "$cache" "$bin" "$peak_file"
  echo "    ${build_s} s; largest process peak RSS $((max_rss / 1024)) MiB; all build processes peak $((peak_sum / 1024)) MiB"
  cold_json="{\"seconds\": $build_s, \"max_process_rss_mib\": $((max_rss / 1024)), \"peak_total_rss_mib\": $((peak_sum / 1024)), \"go_build_cache_mib\": $cache_mib, \"binary_mib\": $bin_mib}"
fi

cat >"$out" <<JSON
{
  "benchmark": "local-cluster",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "machine": {"cores": $(nproc), "memory_gib": $(awk '/MemTotal/ { printf "%d", $2 / 1048576 }' /proc/meminfo)},
  "up_seconds": {"runs": [$(IFS=,; echo "${times[*]}")], "median": $median},
  "idle": {"after_seconds": $idle, "total_rss_mib": $((total_rss / 1024)), "total_pss_mib": $((total_pss / 1024)), "components": {${rss_json%, }}},
  "cold_build": $cold_json
}
JSON
echo "==> wrote ${out#"$root"/}"
cat "$out"
