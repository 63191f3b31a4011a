# Sourced, not run: builds one Go command from a module pinned under hack/ (hack/helm, hack/cosign), for
# hack/helm.sh and hack/cosign.sh (issues 11 and 20).
#
#   go_tool_build NAME MODULE_DIR PACKAGE BIN LDFLAGS
#
# builds PACKAGE in MODULE_DIR (its go.mod and go.sum pin every version) into BIN, only when a hash of
# go.mod, go.sum, PACKAGE, LDFLAGS, this function's body and the Go version differs from the one beside
# BIN (BIN.hash). Concurrent callers wait on one lock beside BIN, so one build of it runs at a time.
# Progress goes to standard error: a count every 100 packages, so a cold build visibly moves.
#
# The flags are those of hack/local-cluster.sh's build: no -trimpath and the default CGO_ENABLED, because
# -trimpath changes every package's cache key, and with the same flags the packages two tools share (the
# standard library, dependencies at the same versions) are compiled once into the Go build cache. LDFLAGS
# only change the link, never a package's key.

go_tool_hash() { # MODULE_DIR PACKAGE LDFLAGS
  (
    cd "$1"
    go version
    sha256sum go.mod go.sum
    printf '%s\n' "$2" "$3"
    declare -f go_tool_build_unlocked
  ) | sha256sum | cut -c1-16
}

go_tool_is_built() { [[ -x "$1" && -f "$1.hash" && "$(cat "$1.hash")" == "$2" ]]; }

go_tool_build() { # NAME MODULE_DIR PACKAGE BIN LDFLAGS
  local hash
  hash="$(go_tool_hash "$2" "$3" "$5")"
  go_tool_is_built "$4" "$hash" && return 0
  mkdir -p "$(dirname "$4")"
  exec 8>"$(dirname "$4")/.lock"
  flock 8
  if ! go_tool_is_built "$4" "$hash"; then
    go_tool_build_unlocked "$@" "$hash"
  fi
  exec 8>&-
}

go_tool_build_unlocked() { # NAME MODULE_DIR PACKAGE BIN LDFLAGS HASH
  local name="$1" dir="$2" package="$3" bin="$4" ldflags="$5" hash="$6" total started
  total="$(cd "$dir" && go list -deps "$package" 2>/dev/null | wc -l)" || true
  [[ "$total" -gt 0 ]] 2>/dev/null || total="?"
  echo "$name: building $package (at most $total packages) into $bin" >&2
  started=$SECONDS
  # -v names each package as it is compiled: a count every 100 shows progress without flooding the log.
  (cd "$dir" && go build -v -ldflags "$ldflags" -o "$bin.tmp" "$package") 2>&1 |
    awk -v name="$name" -v total="$total" '
      /^(#|go: |[^ ]+\.go:)/ || / error/ { print; fflush(); next }
      { n++; if (n % 100 == 0) { printf "%s: compiled %d of at most %s packages (%s)\n", name, n, total, $0; fflush() } }
      END { if (n) printf "%s: compiled %d packages, linked\n", name, n }' >&2
  if [[ ${PIPESTATUS[0]} -ne 0 || ! -x "$bin.tmp" ]]; then
    echo "$name: build failed" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
  echo "$hash" >"$bin.hash"
  echo "$name: built in $((SECONDS - started))s" >&2
}

# The command line the tools share: `--build` only builds, `--path` builds and prints BIN, anything else builds,
# calls ENV_FN (the tool's own state directories) and runs BIN with the arguments.
go_tool_main() { # BUILD_FN BIN ENV_FN ARGS...
  local build_fn="$1" bin="$2" env_fn="$3"
  shift 3
  case "${1:-}" in
    --build) "$build_fn" ;;
    --path)
      "$build_fn"
      echo "$bin"
      ;;
    *)
      "$build_fn"
      "$env_fn"
      exec "$bin" "$@"
      ;;
  esac
}
