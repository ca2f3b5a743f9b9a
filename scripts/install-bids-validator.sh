#!/usr/bin/env bash
# Installs the official bids-validator 1.15.0 (npm) into build/bids-validator for the tests.
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
if ! npm install --prefix "$target" --no-audit --no-fund --loglevel=error bids-validator@1.15.0 >&2; then
  echo "install-bids-validator: npm install failed; the bids-validator test will skip" >&2
fi
exit 0
