#!/usr/bin/env bash
# Fails when a C++ file differs from the pinned .clang-format style (Google, 100 columns).
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
