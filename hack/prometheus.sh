#!/usr/bin/env bash
# Prometheus and promtool from Debian's `prometheus` package (2.42 on bookworm), installed when missing
# (issue 20), as hack/podman.sh installs podman.
#
#   hack/prometheus.sh promtool ARGS...     e.g. hack/prometheus.sh promtool check rules rules.yaml
#   hack/prometheus.sh prometheus ARGS...   the server (the observability tests start it on loopback)
#   hack/prometheus.sh --install            only install (if missing)
#
# The package's own service is never started here: Debian's policy-rc.d in containers refuses it, and the
# tests run their own server with a configuration and data directory of their own.
set -euo pipefail

install() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
  echo "prometheus: installing Debian's prometheus (apt-get)" >&2
  # One installer at a time: dpkg holds its own lock, but two concurrent `apt-get update`s fail.
  exec 7>/tmp/proxy-service-operator-apt.lock
  flock 7
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # Without the recommended node exporter: nothing here scrapes the machine.
    apt-get install -y -qq --no-install-recommends prometheus >&2
  fi
  exec 7>&-
}

case "${1:-}" in
  --install) install ;;
  promtool | prometheus)
    install
    exec "$@"
    ;;
  *)
    echo "usage: hack/prometheus.sh promtool|prometheus ARGS... | --install" >&2
    exit 2
    ;;
esac
