#!/usr/bin/env bash
# Writes the operator image's SBOM, CycloneDX 1.5 JSON, to FILE (issue 20): cyclonedx-npm (the CycloneDX
# project's own generator for npm, pinned by hack/release/sbom/package-lock.json and installed there when
# missing) lists the production dependencies that `npm ci --omit=dev` installs from package-lock.json,
# exactly what the Dockerfile puts in /app/node_modules, with the operator itself as the main component; then
# hack/release/image-sbom.ts adds the runtime base's Debian packages and Node.js binary from
# hack/image/base.lock, and the result is validated against the CycloneDX schema.
#
#   hack/release/sbom.sh FILE
#
# Why not an image scanner such as syft: built from its Go module it is another ~2,000-package Go build
# (the README's measurement table), and the assembled base has no dpkg database for it to read, so it would
# still miss the Debian packages that base.lock names.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tool="$root/hack/release/sbom"
out="${1:?usage: hack/release/sbom.sh FILE}"

# Installed again only when the lock changed: the stamp holds the lock's hash.
stamp="$tool/node_modules/.lock-hash"
hash="$(sha256sum <"$tool/package-lock.json" | cut -c1-16)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$hash" ]]; then
  echo "sbom: installing @cyclonedx/cyclonedx-npm (npm ci in hack/release/sbom)" >&2
  # No install scripts: the generator needs none, and its optional XML validator's native build is not used.
  npm ci --prefix "$tool" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  echo "$hash" >"$stamp"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The production dependencies installed as the Dockerfile's deps stage installs them (`npm ci --omit=dev`,
# no scripts), and read from that tree: not from this clone's node_modules (dev dependencies, anything added
# by hand), nor from the lock alone, which also lists the optional native packages of other platforms
# (@resvg/resvg-js for macOS, Windows, musl, ...) that npm leaves out here as in the image.
mkdir -p "$work/app"
cp "$root/package.json" "$root/package-lock.json" "$work/app/"
(cd "$work/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
(cd "$work/app" && "$tool/node_modules/.bin/cyclonedx-npm" --omit dev --flatten-components \
  --output-reproducible --spec-version 1.5 --output-format JSON --output-file "$work/npm.cdx.json" package.json) >&2
(cd "$root" && npx tsx hack/release/image-sbom.ts "$work/npm.cdx.json" hack/image/base.lock) >"$work/image.cdx.json"
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const { Validation, Spec } = await import(process.argv[1]);
  const error = await new Validation.JsonStrictValidator(Spec.Version.v1dot5).validate(readFileSync(process.argv[2], "utf8"));
  if (error !== null) {
    console.error("sbom: the merged SBOM is not valid CycloneDX 1.5:", JSON.stringify(error, null, 2));
    process.exit(1);
  }
' "$tool/node_modules/@cyclonedx/cyclonedx-library/dist.node/index.node.js" "$work/image.cdx.json"
mv "$work/image.cdx.json" "$out"
echo "sbom: wrote $out ($(node -p 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).components.length' "$out") components)" >&2
