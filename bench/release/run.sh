#!/usr/bin/env bash
# Measures what the release costs (issue 20) and writes bench/results/release.json: cosign's build from its
# Go module (hack/cosign.sh) and one run of hack/release.sh against a registry of its own on loopback.
#
#   bench/release/run.sh          warm numbers: the cached binary's check, a relink, a release (about 1 minute)
#   bench/release/run.sh -cold    also cosign from an empty Go build cache (module cache kept; 5-10 min on 2 cores)
#
# packagesFromHelmsBuild counts the packages of cmd/cosign that a build can take from Helm's in the Go build
# cache: the package and every package it imports at the same module versions in both builds (from
# `go list -deps`), which is what hack/cosign/go.mod's alignment with hack/helm/go.mod buys.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
cold=false
[[ "${1:-}" == "-cold" ]] && cold=true
bin="$(hack/cosign.sh --path)"
package=github.com/sigstore/cosign/v3/cmd/cosign

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

t0=$(now); hack/cosign.sh --build >&2; t1=$(now)
noop=$(secs "$t0" "$t1")
rm -f "$bin.hash"
t0=$(now); hack/cosign.sh --build >&2; t1=$(now)
relink=$(secs "$t0" "$t1")

fmt='{{.ImportPath}}	{{if .Module}}{{.Module.Path}}@{{.Module.Version}}{{end}}	{{join .Deps " "}}'
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd hack/helm && go list -deps -f "$fmt" helm.sh/helm/v4/cmd/helm) >"$tmp/helm.deps"
(cd hack/cosign && go list -deps -f "$fmt" "$package") >"$tmp/cosign.deps"
read -r packages shared < <(node -e '
  const fs = require("node:fs");
  const load = (f) => new Map(fs.readFileSync(f, "utf8").trim().split("\n").map((l) => {
    const [p, mod, deps] = l.split("\t");
    return [p, { mod, deps: deps ? deps.split(" ") : [] }];
  }));
  const helm = load(process.argv[1]), cosign = load(process.argv[2]), memo = new Map();
  const shared = (p) => {
    if (!memo.has(p)) {
      memo.set(p, false); // import cycles do not exist in Go; this only guards the recursion
      const a = helm.get(p), b = cosign.get(p);
      memo.set(p, !!a && !!b && a.mod === b.mod && b.deps.every(shared));
    }
    return memo.get(p);
  };
  console.log(cosign.size, [...cosign.keys()].filter(shared).length);
' "$tmp/helm.deps" "$tmp/cosign.deps")

cold_json=null
if $cold; then
  echo "release bench: cosign from an empty GOCACHE into $tmp" >&2
  t0=$(now)
  (cd hack/cosign && GOCACHE="$tmp/cache" /usr/bin/time -f "%M %U %S" -o "$tmp/usage" go build -v -o "$tmp/cosign" "$package") 2>"$tmp/build.log"
  t1=$(now)
  read -r maxrss user sys <"$tmp/usage"
  cold_json=$(printf '{"seconds": %s, "cpuSeconds": %s, "packagesCompiled": %s, "peakRssMiB": %s, "buildCacheMiB": %s, "loadAverageAfter": "%s"}' \
    "$(secs "$t0" "$t1")" "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')" "$(grep -vc '^go: ' "$tmp/build.log")" \
    "$((maxrss / 1024))" "$(du -sm "$tmp/cache" | cut -f1)" "$(cut -d' ' -f1-3 /proc/loadavg)")
fi

t0=$(now)
hack/release.sh --out "$tmp/release" >"$tmp/release.path" 2>"$tmp/release.log" || { cat "$tmp/release.log" >&2; exit 1; }
t1=$(now)
release_seconds=$(node -p 'JSON.stringify(JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).seconds)' "$(tail -1 "$tmp/release.path")")

mkdir -p bench/results
cat >bench/results/release.json <<JSON
{
  "what": "cosign $(awk -v p="github.com/sigstore/cosign/v3" '$1 == p { print $2 }' hack/cosign/go.mod) built from its Go module (cmd/cosign) and one hack/release.sh run against Debian's docker-registry on loopback",
  "command": "bench/release/run.sh${1:+ $1}",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "machine": "$(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB",
  "go": "$(go version | cut -d' ' -f3)",
  "packages": $packages,
  "packagesFromHelmsBuild": $shared,
  "binaryMiB": $(($(stat -c %s "$bin") / 1048576)),
  "cachedBinaryCheckSeconds": $noop,
  "warmBuildSeconds": $relink,
  "coldBuild": $cold_json,
  "releaseSeconds": $(secs "$t0" "$t1"),
  "releaseSteps": $release_seconds,
  "loadAverageAfter": "$(cut -d' ' -f1-3 /proc/loadavg)"
}
JSON
cat bench/results/release.json
