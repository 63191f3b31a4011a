#!/usr/bin/env bash
# An OCI registry on loopback for hack/release.sh and test/integration/release (issue 20): Debian's
# docker-registry package (the CNCF Distribution registry), installed when missing, run as a plain
# process with a configuration and storage of its own. The package's own service is never started.
#
#   hack/release/registry.sh start DIR   start one on 127.0.0.1 and a free port, state in DIR (config,
#                                        storage, log, pid); prints its address, 127.0.0.1:PORT
#   hack/release/registry.sh stop DIR    stop the one started with DIR (its pid file); DIR stays
#   hack/release/registry.sh --install   only install (if missing)
#
# Plain HTTP, no authentication: loopback only, which podman (--tls-verify=false), Helm (--plain-http)
# and cosign (go-containerregistry speaks HTTP to 127.0.0.1 by itself) all accept.
set -euo pipefail

install() {
  command -v docker-registry >/dev/null && return 0
  echo "registry: installing Debian's docker-registry (apt-get)" >&2
  # One installer at a time: dpkg holds its own lock, but two concurrent `apt-get update`s fail.
  exec 7>/tmp/proxy-service-operator-apt.lock
  flock 7
  if ! command -v docker-registry >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends docker-registry >&2
  fi
  exec 7>&-
}

free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

start() {
  local dir="$1" port addr
  install
  mkdir -p "$dir/storage"
  dir="$(cd "$dir" && pwd)"
  port="$(free_port)"
  addr="127.0.0.1:$port"
  # Deletes enabled so that a test can remove what it pushed; the HTTP secret only signs upload state
  # between requests of one process, so a random one per run is enough.
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $addr
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
EOF
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/registry.pid"
  # Ready when /v2/ answers (the API's version check); the process may also die on a port taken since.
  local deadline=$((SECONDS + 30))
  until curl -fs -o /dev/null "http://$addr/v2/"; do
    if ! kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null; then
      echo "registry: docker-registry exited at start; its log, $dir/registry.log:" >&2
      cat "$dir/registry.log" >&2
      exit 1
    fi
    if ((SECONDS > deadline)); then
      echo "registry: http://$addr/v2/ did not answer within 30 s; its log is $dir/registry.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "$addr"
}

stop() {
  local pidfile="$1/registry.pid" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if kill "$pid" 2>/dev/null; then
    # Wait for it to exit, so that a caller removing DIR next does not race its writes.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  --install) install ;;
  start | stop)
    if [[ -z "${2:-}" ]]; then
      echo "usage: hack/release/registry.sh $1 DIR" >&2
      exit 2
    fi
    "$1" "$2"
    ;;
  *)
    echo "usage: hack/release/registry.sh start DIR | stop DIR | --install" >&2
    exit 2
    ;;
esac
