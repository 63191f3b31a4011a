#!/usr/bin/env bash
# The project's one test command (the README's quick start and .ci/run call it).
# It installs what it needs itself: npm packages from the lock file, the Go modules of the
# local control plane (built on first use by the integration suite's global setup), and
# Debian packages for the testbed.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> npm ci"
npm ci --no-audit --no-fund
echo "==> typecheck and lint"
npx tsc --noEmit -p tsconfig.json
npx eslint src test bench
echo "==> tests (unit; integration against the local control plane; the loopback testbed)"
npx vitest run --project unit "$@"
npx vitest run --project integration "$@"
npx vitest run --project testbed "$@"
