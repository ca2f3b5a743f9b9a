#!/usr/bin/env bash
# Sets everything up and runs the main job on the example case: the README's first command.
# Writes the derivatives folder to out/example (replaced if present) and prints the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >&2
scripts/build.sh >&2  # stdout holds only the summary JSON
data="${STROKEFAIR_DATA:-$(cd .. && pwd)/shared/data}"
case_dir="$data/cases/isles22-strokecase0001"
mkdir -p out
build/strokefair analyze \
  --dwi "$case_dir/sub-strokecase0001_ses-0001_dwi.nii.gz" \
  --adc "$case_dir/sub-strokecase0001_ses-0001_adc.nii.gz" \
  --out out/example --force
echo "outputs: $(pwd)/out/example" >&2
