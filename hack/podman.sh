#!/usr/bin/env bash
# podman with this project's settings (hack/image/containers.conf), installed from Debian's
# packages when missing (issue 11). Usage: hack/podman.sh ARGS...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  echo "podman: installing Debian's podman and runc (apt-get)" >&2
  # One installer at a time: dpkg holds its own lock, but two concurrent `apt-get update`s fail.
  exec 7>/tmp/proxy-service-operator-apt.lock
  flock 7
  if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends podman runc ca-certificates >&2
  fi
  exec 7>&-
fi

export CONTAINERS_CONF="$root/hack/image/containers.conf"
exec podman "$@"
