#!/usr/bin/env bash
# Configures and builds strokefair into build/ (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
# The report viewer embeds NiiVue; without it the build still works and viewers say so.
scripts/fetch-web-deps.sh || echo "build: NiiVue not fetched; report viewers will be unavailable" >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
