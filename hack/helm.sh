#!/usr/bin/env bash
# Helm, built from the helm.sh/helm/v4 Go module pinned in hack/helm/go.mod (issue 11).
#
#   hack/helm.sh ARGS...     run helm with ARGS (built first if needed), e.g. hack/helm.sh lint --strict charts/proxy-service-operator
#   hack/helm.sh --build     only build the binary (if its sources changed)
#   hack/helm.sh --path      print the binary's path (built first if needed)
#
# Only cmd/helm is compiled (about 1,200 packages, a few minutes on 2 cores from an empty Go build
# cache), into .helm/bin/ or $HELM_BIN_DIR, and rebuilt only when a hash of
# hack/helm/go.mod, go.sum, the build's flags and the Go version changes (hack/go-tool.sh, shared with
# hack/cosign.sh). Concurrent callers wait on one lock, so one build runs at a time. Helm's own state (repositories, cache) goes to .helm/ too,
# not to the user's home, unless HELM_CONFIG_HOME/HELM_CACHE_HOME/HELM_DATA_HOME are set.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/hack/helm"
home="$root/.helm"
bindir="${HELM_BIN_DIR:-$home/bin}"
bin="$bindir/helm"

# shellcheck source=hack/go-tool.sh
source "$root/hack/go-tool.sh"

build() {
  local version
  version="$(awk '$1 == "helm.sh/helm/v4" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")"
  # The version stamped with -X and symbols stripped, as Helm's Makefile does, but without its -trimpath
  # and CGO_ENABLED=0 (hack/go-tool.sh says why).
  go_tool_build helm "$src" helm.sh/helm/v4/cmd/helm "$bin" \
    "-w -s -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
}

helm_env() {
  export HELM_CONFIG_HOME="${HELM_CONFIG_HOME:-$home/config}"
  export HELM_CACHE_HOME="${HELM_CACHE_HOME:-$home/cache}"
  export HELM_DATA_HOME="${HELM_DATA_HOME:-$home/data}"
}

go_tool_main build "$bin" helm_env "$@"
