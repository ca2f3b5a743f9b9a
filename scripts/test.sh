#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: the README's second command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-format.sh
scripts/build.sh
scripts/install-bids-validator.sh  # the official validator test skips without it
ctest --test-dir build --output-on-failure -j "$(nproc)"
