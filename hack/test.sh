#!/usr/bin/env bash
# The project's one test command (the README's quick start and .ci/run call it).
# It installs what it needs itself: npm packages from the lock file, the Go modules of the
# local control plane (built on first use by the integration suite's global setup), and
# Debian's haproxy package for the testbed (bench/lor installs it when it is missing), Helm from its
# Go module (hack/helm.sh) and the operator's image with Debian's podman (hack/image.sh, which
# installs podman when it is missing); both are cached, so a second run only checks them. Debian's prometheus
# package (promtool for the alerts' tests, the server for test/integration/observability) is installed by
# hack/prometheus.sh when it is missing. cosign is built from its Go module (hack/cosign.sh, cached like Helm)
# and Debian's docker-registry installed by hack/release/registry.sh for the release test (issue 20).
set -euo pipefail
cd "$(dirname "$0")/.."

reports=".vitest"
rm -rf "$reports" && mkdir -p "$reports"

echo "==> npm ci"
npm ci --no-audit --no-fund
echo "==> typecheck and lint"
npx tsc --noEmit -p tsconfig.json
npx eslint src test bench hack
echo "==> alerts: promtool check rules and promtool test rules (Debian's prometheus, hack/prometheus.sh)"
hack/prometheus.sh promtool check rules charts/proxy-service-operator/files/prometheus-rules.yaml
hack/prometheus.sh promtool test rules test/observability/prometheus-rules.test.yaml
echo "==> Go: the local control plane's own tests (module hack/local-cluster)"
(cd hack/local-cluster && gofmt -l . | (! grep .) && go test -count=1 ./...)
echo "==> Go: the Istio tools' own tests (module hack/istio: node metadata, xDS matching, chart objects)"
(cd hack/istio && gofmt -l . | (! grep .) && go test -count=1 ./...)
echo "==> Helm and the operator's image (test/integration/install uses both)"
hack/helm.sh version
hack/image.sh
echo "==> cosign and a registry (test/integration/release: hack/release.sh against Debian's docker-registry on loopback)"
hack/cosign.sh version
hack/release/registry.sh --install
for project in unit integration testbed; do
  echo "==> tests: $project"
  npx vitest run --project "$project" --reporter=default --reporter=json --outputFile="$reports/$project.json" "$@"
done

# One closing line in the plain 'N passed, N failed' form, summed over the three vitest projects.
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${f}`, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$reports"
