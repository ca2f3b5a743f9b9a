#!/usr/bin/env bash
# Installs the official bids-validator 1.15.0 (npm) into build/bids-validator for the tests.
# The versions of all its dependencies are locked in scripts/bids-validator/package-lock.json
# (installed with `npm ci`): an unlocked install resolves the newest versions of its many
# dependencies, and once failed when one of them asked for a version the registry did not have.
# Without npm or network it says so and exits 0: the test that needs it then skips.
set -uo pipefail
cd "$(dirname "$0")/.."
target=build/bids-validator
if [ -x "$target/node_modules/.bin/bids-validator" ]; then exit 0; fi
if ! command -v npm >/dev/null; then
  echo "install-bids-validator: npm not found; the bids-validator test will skip" >&2
  exit 0
fi
mkdir -p "$target"
cp scripts/bids-validator/package.json scripts/bids-validator/package-lock.json "$target/"
if ! (cd "$target" && npm ci --no-audit --no-fund --loglevel=error >&2); then
  echo "install-bids-validator: npm ci failed; the bids-validator test will skip" >&2
fi
exit 0
