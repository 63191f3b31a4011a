#!/usr/bin/env bash
# cosign, built from the github.com/sigstore/cosign/v3 Go module pinned in hack/cosign/go.mod (issue 20).
#
#   hack/cosign.sh ARGS...     run cosign with ARGS (built first if needed), e.g. hack/cosign.sh version
#   hack/cosign.sh --build     only build the binary (if its sources changed)
#   hack/cosign.sh --path      print the binary's path (built first if needed)
#
# Only cmd/cosign is compiled (about 1,800 packages with the standard library), into .cosign/bin/ or
# $COSIGN_BIN_DIR, and rebuilt only when a hash of hack/cosign/go.mod, go.sum, the build's flags and the Go
# version changes (hack/go-tool.sh, shared with hack/helm.sh). hack/cosign/go.mod requires every module it
# shares with hack/helm/go.mod at Helm's version (all but spf13/cast, which cosign needs newer), so that the
# about 640 packages both compile come from the Go build cache after Helm's build. After a change of
# either, raise hack/cosign's shared modules to hack/helm's again, leaving out those where cosign needs the
# newer version (a go get to an older one would downgrade cosign itself):
#   cd hack/cosign && go get $(join <(awk '/^\t/ {print $1, $2}' ../helm/go.mod | sort) \
#     <(awk '/^\t/ {print $1, $2}' go.mod | sort) | awk '$2 != $3 && $1 != "github.com/spf13/cast" {print $1 "@" $2}') &&
#     go mod tidy
# cosign's own state (its TUF cache) goes to .cosign/tuf, not to the user's home; nothing here signs
# keyless or reaches Sigstore's public services (hack/release.sh passes the flags that keep it offline).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/hack/cosign"
home="$root/.cosign"
bindir="${COSIGN_BIN_DIR:-$home/bin}"
bin="$bindir/cosign"

# shellcheck source=hack/go-tool.sh
source "$root/hack/go-tool.sh"

build() {
  local version
  version="$(awk '$1 == "github.com/sigstore/cosign/v3" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")"
  # The version stamped as cosign's Makefile does (release-utils), symbols stripped; no -trimpath
  # (hack/go-tool.sh says why).
  go_tool_build cosign "$src" github.com/sigstore/cosign/v3/cmd/cosign "$bin" \
    "-w -s -X sigs.k8s.io/release-utils/version.gitVersion=$version -X sigs.k8s.io/release-utils/version.gitTreeState=clean"
}

cosign_env() {
  export TUF_ROOT="${TUF_ROOT:-$home/tuf}"
}

go_tool_main build "$bin" cosign_env "$@"
