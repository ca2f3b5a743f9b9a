#!/usr/bin/env bash
# Agreement of `strokefair analyze` with the JHU ADS tool's predicted lesion masks on the two
# shared ads-subject cases. Those masks are the DAGMNet model's output, not expert truth.
# Usage: bench/ads_agreement.sh [build/strokefair]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${1:-$here/../build/strokefair}"
data="${STROKEFAIR_DATA:-$here/../../shared/data}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/predicted" "$work/reference"
for s in 01 02; do
  case_dir="$data/cases/ads-subject$s"
  args=(--dwi "$case_dir/Subject${s}_DWI.nii.gz" --b0 "$case_dir/Subject${s}_b0.nii.gz")
  [ -f "$case_dir/Subject${s}_ADC.nii.gz" ] && args+=(--adc "$case_dir/Subject${s}_ADC.nii.gz")
  "$binary" -q analyze "${args[@]}" --out "$work/out" > /dev/null
  cp "$work/out/sub-Subject$s/dwi/sub-Subject${s}_space-orig_label-L_desc-auto_mask.nii.gz" \
     "$work/predicted/Subject$s.nii.gz"
  cp "$case_dir/Subject${s}_DAGMNet_CH3_Lesion_Predict.nii.gz" "$work/reference/Subject$s.nii.gz"
done
"$binary" evaluate "$work/predicted" "$work/reference"
"$binary" evaluate --json "$work/predicted" "$work/reference" |
  python3 -c 'import json,sys
for c in json.load(sys.stdin)["cases"]:
    print("%s: strokefair %.2f mL, ADS %.2f mL" % (c["predicted"].split("/")[-1], c["predicted_ml"], c["reference_ml"]))'
