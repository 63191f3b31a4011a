#!/usr/bin/env bash
# Builds the operator's image from ./Dockerfile with podman (hack/podman.sh: Debian's podman,
# installed when missing, with the settings in hack/image/containers.conf) and prints the image
# reference as its last line (issue 11).
#
#   hack/image.sh                  build localhost/proxy-service-operator:<package.json version>
#   IMAGE=repo/name:tag hack/image.sh   build under another reference
#
# No image registry is reachable here, so the Dockerfile's two bases are passed as the ones
# hack/image/base.sh assembles locally from pinned inputs (hack/image/base.lock). The build stage
# reaches the npm registry itself (--network host). podman's layer cache makes a rebuild with no
# change a few seconds. Progress goes to standard error.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="$(node -p 'require("./package.json").version')"
ref="${IMAGE:-localhost/proxy-service-operator:$version}"

started=$SECONDS
declare -A base
while IFS='=' read -r key value; do base[$key]="$value"; done < <(hack/image/base.sh)
echo "image: bases ${base[BUILD_IMAGE]} and ${base[RUNTIME_IMAGE]} ($((SECONDS - started))s)" >&2

# The CA bundle that npm trusts on this machine, mounted into the build's RUNs (not into the
# image), so that a registry behind a TLS-inspecting proxy is reachable from inside the build too.
cafile="$(npm config get cafile 2>/dev/null || true)"
[[ -f "$cafile" ]] || cafile=/etc/ssl/certs/ca-certificates.crt
ca_args=()
if [[ -f "$cafile" ]]; then
  ca_args=(--volume "$cafile:/run/build-ca/ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca/ca.crt)
fi

hack/podman.sh build --network host --layers "${ca_args[@]}" \
  --build-arg "BUILD_IMAGE=${base[BUILD_IMAGE]}" \
  --build-arg "RUNTIME_IMAGE=${base[RUNTIME_IMAGE]}" \
  --label "org.opencontainers.image.version=$version" \
  --tag "$ref" --file Dockerfile . >&2
size="$(hack/podman.sh image inspect --format '{{.Size}}' "$ref")"
echo "image: built $ref, $((size / 1000000)) MB, in $((SECONDS - started))s" >&2
echo "$ref"
