#!/usr/bin/env bash
# A release as a release pipeline makes it (issue 20), against a real OCI registry on loopback:
#
#   1. a cosign key pair for this run (password: $COSIGN_PASSWORD, a random one when unset)
#   2. the image, built by hack/image.sh and pushed with podman
#   3. its SBOM (hack/release/sbom.sh: CycloneDX from the lock file and the base's pinned inputs)
#   4. the chart, pinned to the pushed image by digest (hack/release/pin-chart.ts), packaged and `helm push`ed
#   5. both signed with cosign, the SBOM attached to the image as a signed CycloneDX attestation
#   6. pulled back (podman pull, helm pull by version) and verified by digest: `cosign verify` of the
#      image and of the chart, `cosign verify-attestation` of the SBOM, which must name this package
#
#   hack/release.sh                              start a registry (hack/release/registry.sh), release into
#                                                it, verify, stop it
#   hack/release.sh --registry 127.0.0.1:PORT    release into a running one (it stays up)
#   --out DIR                                    where the keys, the SBOM, the chart package and
#                                                release.json (what was pushed, by digest) go; default .release/
#
# Signing is with the key only: no transparency log, timestamp authority or Fulcio, which need Sigstore's
# public services (unreachable here), so verification passes --insecure-ignore-tlog and an empty trusted
# root. cosign is built from its Go module by hack/cosign.sh, Helm by hack/helm.sh (both cached).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

registry=""
out="$root/.release"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --registry) registry="${2:?--registry needs HOST:PORT}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    *) echo "usage: hack/release.sh [--registry 127.0.0.1:PORT] [--out DIR]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

started=$SECONDS
declare -A took
step() { echo "release: $1 ($((SECONDS - started))s)" >&2; }
timed() { # NAME COMMAND...: runs it and records its seconds in release.json
  local name="$1" t=$SECONDS
  shift
  "$@"
  took[$name]=$((SECONDS - t))
}

if [[ -z "$registry" ]]; then
  state="$(mktemp -d)"
  trap 'hack/release/registry.sh stop "$state"; rm -rf "$state"' EXIT
  registry="$(hack/release/registry.sh start "$state")"
  step "started a registry at $registry (stopped at exit)"
fi
case "$registry" in
  127.0.0.1:* | localhost:* | "[::1]":*) ;;
  *) echo "release: --registry $registry is not on loopback; this script pushes over plain HTTP, so only 127.0.0.1:PORT" >&2; exit 2 ;;
esac

version="$(node -p 'require("./package.json").version')"
export COSIGN_PASSWORD="${COSIGN_PASSWORD:-$(head -c 24 /dev/urandom | base64)}"
# The offline flags of every signing and verifying call (see the header).
offline_sign=(--yes --signing-config "$out/signing-config.json" --trusted-root "$out/trusted-root.json")
offline_verify=(--insecure-ignore-tlog --trusted-root "$out/trusted-root.json")
cosign() { hack/cosign.sh "$@"; }
helm() { hack/helm.sh "$@"; }

step "tools: cosign and helm (built from their Go modules when missing)"
build_tools() { hack/cosign.sh --build && hack/helm.sh --build; }
timed tools build_tools

step "1. key pair"
rm -f "$out/cosign.key" "$out/cosign.pub"
cosign generate-key-pair --output-key-prefix "$out/cosign" >&2
cosign signing-config create --out "$out/signing-config.json" >&2
cosign trusted-root create --out "$out/trusted-root.json" >&2

step "2. image: build and push"
# A tag of the release's own: another clone's hack/image.sh may move the shared :VERSION tag meanwhile.
t=$SECONDS
local_ref="$(IMAGE="localhost/proxy-service-operator-release:$version" hack/image.sh | tail -1)"
took[image_build]=$((SECONDS - t))
image_repo="$registry/proxy-service-operator"
push_image() {
  hack/podman.sh push --quiet --tls-verify=false --digestfile "$out/image.digest" "$local_ref" "$image_repo:$version" >&2
}
timed image_push push_image
image_digest="$(cat "$out/image.digest")"
image="$image_repo@$image_digest"

step "3. SBOM"
timed sbom hack/release/sbom.sh "$out/sbom.cdx.json"

step "4. chart: pin to $image, package, push"
chart_work="$(mktemp -d)"
cp -r charts/proxy-service-operator "$chart_work/"
npx tsx hack/release/pin-chart.ts "$chart_work/proxy-service-operator" "$image_repo" "$image_digest"
helm lint --strict "$chart_work/proxy-service-operator" >&2
rm -f "$out"/proxy-service-operator-*.tgz
helm package "$chart_work/proxy-service-operator" --destination "$out" >&2
rm -rf "$chart_work"
chart_repo="oci://$registry/charts"
push_chart() { helm push "$out/proxy-service-operator-$version.tgz" "$chart_repo" --plain-http 2>&1 | tee "$out/chart-push.txt" >&2; }
timed chart_push push_chart
chart_digest="$(awk '$1 == "Digest:" { print $2 }' "$out/chart-push.txt")"
[[ "$chart_digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "release: helm push printed no digest:" >&2; cat "$out/chart-push.txt" >&2; exit 1; }
chart="$registry/charts/proxy-service-operator@$chart_digest"

step "5. sign the image and the chart, attest the SBOM"
sign() {
  cosign sign "${offline_sign[@]}" --key "$out/cosign.key" "$image" >&2
  cosign sign "${offline_sign[@]}" --key "$out/cosign.key" "$chart" >&2
  cosign attest "${offline_sign[@]}" --key "$out/cosign.key" --type cyclonedx --predicate "$out/sbom.cdx.json" "$image" >&2
}
timed sign sign

step "6. pull and verify by digest"
verify() {
  local pulled store
  # Into an empty image store of its own, so that every layer comes from the registry and the digest
  # podman reports is the pulled manifest's (in the shared store an image keeps the digest of its first push).
  store="$(mktemp -d)"
  hack/podman.sh --root "$store/root" --runroot "$store/run" pull --quiet --tls-verify=false "$image" >/dev/null
  pulled="$(hack/podman.sh --root "$store/root" --runroot "$store/run" image inspect --format '{{.Digest}}' "$image")"
  rm -rf "$store"
  [[ "$pulled" == "$image_digest" ]] || { echo "release: pulled $image but podman reports digest $pulled" >&2; exit 1; }
  mkdir -p "$out/pulled"
  rm -f "$out/pulled"/*.tgz
  pulled="$(helm pull "$chart_repo/proxy-service-operator" --version "$version" --plain-http --destination "$out/pulled" 2>&1 | awk '$1 == "Digest:" { print $2 }')"
  [[ "$pulled" == "$chart_digest" ]] || { echo "release: helm pull of $version gave digest '$pulled', not the pushed $chart_digest" >&2; exit 1; }
  cosign verify "${offline_verify[@]}" --key "$out/cosign.pub" "$image" >/dev/null
  cosign verify "${offline_verify[@]}" --key "$out/cosign.pub" "$chart" >/dev/null
  cosign verify-attestation "${offline_verify[@]}" --key "$out/cosign.pub" --type cyclonedx "$image" >"$out/attestation.json"
  # The verified statement's SBOM must be this release's: the operator's package at this version.
  node -e '
    const { readFileSync } = require("node:fs");
    const envelope = JSON.parse(readFileSync(process.argv[1], "utf8").split("\n")[0]);
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    const c = statement.predicate.metadata.component;
    if (c.name !== "proxy-service-operator" || c.version !== process.argv[2]) {
      console.error(`release: the attested SBOM names ${c.name}@${c.version}, not proxy-service-operator@${process.argv[2]}`);
      process.exit(1);
    }
  ' "$out/attestation.json" "$version"
}
timed verify verify

cat >"$out/release.json" <<EOF
{
  "version": "$version",
  "registry": "$registry",
  "image": { "repository": "$image_repo", "digest": "$image_digest", "reference": "$image" },
  "chart": { "reference": "$chart_repo/proxy-service-operator", "version": "$version", "digest": "$chart_digest" },
  "publicKey": "$out/cosign.pub",
  "trustedRoot": "$out/trusted-root.json",
  "sbom": "$out/sbom.cdx.json",
  "seconds": { "total": $((SECONDS - started)), "tools": ${took[tools]}, "imageBuild": ${took[image_build]}, "imagePush": ${took[image_push]}, "sbom": ${took[sbom]}, "chartPush": ${took[chart_push]}, "sign": ${took[sign]}, "verify": ${took[verify]} }
}
EOF
step "done: image $image, chart $chart_repo/proxy-service-operator:$version ($chart_digest), signed and verified"
echo "$out/release.json"
