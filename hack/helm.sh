#!/usr/bin/env bash
# Helm, built from the helm.sh/helm/v4 Go module pinned in hack/helm/go.mod (issue 11).
#
#   hack/helm.sh ARGS...     run helm with ARGS (built first if needed), e.g. hack/helm.sh lint --strict charts/proxy-service-operator
#   hack/helm.sh --build     only build the binary (if its sources changed)
#   hack/helm.sh --path      print the binary's path (built first if needed)
#
# Only cmd/helm is compiled (about 1,200 packages, a few minutes on 2 cores from an empty Go build
# cache), into .helm/bin/ or $HELM_BIN_DIR, and rebuilt only when a hash of
# hack/helm/go.mod, go.sum, the build's flags and the Go version changes. Concurrent callers wait on one lock, so one
# build runs at a time. Helm's own state (repositories, cache) goes to .helm/ too,
# not to the user's home, unless HELM_CONFIG_HOME/HELM_CACHE_HOME/HELM_DATA_HOME are set.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/hack/helm"
home="$root/.helm"
bindir="${HELM_BIN_DIR:-$home/bin}"
bin="$bindir/helm"

source_hash() {
  (
    cd "$src"
    go version
    sha256sum go.mod go.sum
    declare -f build_unlocked # the build's flags
  ) | sha256sum | cut -c1-16
}

is_built() { [[ -x "$bin" && -f "$bin.hash" && "$(cat "$bin.hash")" == "$1" ]]; }

build() {
  local hash
  hash="$(source_hash)"
  is_built "$hash" && return 0
  mkdir -p "$bindir"
  exec 8>"$bindir/.lock"
  flock 8
  if ! is_built "$hash"; then
    build_unlocked "$hash"
  fi
  exec 8>&-
}

build_unlocked() {
  local version total started
  version="$(awk '$1 == "helm.sh/helm/v4" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")"
  total="$(cd "$src" && go list -deps helm.sh/helm/v4/cmd/helm 2>/dev/null | wc -l)" || true
  [[ "$total" -gt 0 ]] 2>/dev/null || total="~1200"
  echo "helm: building helm $version (cmd/helm, at most $total packages) into ${bin#"$root"/}" >&2
  started=$SECONDS
  # The version stamped with -X and symbols stripped, as Helm's Makefile does, but without its -trimpath
  # and CGO_ENABLED=0: with the same flags as hack/local-cluster.sh's build, the packages both use (the
  # standard library, shared dependencies at the same versions) come from the Go build cache. -v names
  # each package as it is compiled: show a count every 100 so the build visibly progresses.
  (cd "$src" && go build -v \
    -ldflags "-w -s -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    -o "$bin.tmp" helm.sh/helm/v4/cmd/helm) 2>&1 |
    awk -v total="$total" '
      /^(#|go: |[^ ]+\.go:)/ || / error/ { print; fflush(); next }
      { n++; if (n % 100 == 0) { printf "helm: compiled %d of at most %d packages (%s)\n", n, total, $0; fflush() } }
      END { if (n) printf "helm: compiled %d packages, linked\n", n }' >&2
  if [[ ${PIPESTATUS[0]} -ne 0 || ! -x "$bin.tmp" ]]; then
    echo "helm: build failed" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
  echo "$1" >"$bin.hash"
  echo "helm: built in $((SECONDS - started))s" >&2
}

case "${1:-}" in
  --build) build ;;
  --path)
    build
    echo "$bin"
    ;;
  *)
    build
    export HELM_CONFIG_HOME="${HELM_CONFIG_HOME:-$home/config}"
    export HELM_CACHE_HOME="${HELM_CACHE_HOME:-$home/cache}"
    export HELM_DATA_HOME="${HELM_DATA_HOME:-$home/data}"
    exec "$bin" "$@"
    ;;
esac
