#!/usr/bin/env bash
# Runs `strokefair analyze` on every shared case with a DWI and takes a headless-Chromium
# screenshot of each report and viewer into docs/screenshots/ (small PNGs, kept in the repo
# so a reader sees what a report looks like). Usage: scripts/report-screenshots.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
cases=../shared/data/cases
out=${1:-$(mktemp -d)}
shots=docs/screenshots
mkdir -p "$out" "$shots"
chromium_shot() {  # page, png, window
  timeout 180 chromium --headless --disable-gpu --no-sandbox --enable-unsafe-swiftshader \
    --no-first-run --user-data-dir="$out/.chromium" --hide-scrollbars --window-size="$3" \
    --virtual-time-budget=20000 --screenshot="$2" "file://$(realpath "$1")" 2>/dev/null
}
run_case() {  # name, subject, analyze arguments...
  local name=$1 subject=$2
  shift 2
  echo "report-screenshots: $name" >&2
  build/strokefair analyze --subject "$subject" --out "$out/$name" --force "$@" >"$out/$name.json"
  chromium_shot "$out/$name/sub-$subject.html" "$shots/report-$name.png" 1000,1900
  chromium_shot "$out/$name/sub-$subject/figures/sub-${subject}_desc-viewer_dwi.html" \
    "$shots/viewer-$name.png" 1000,760
}
run_case isles22-strokecase0001 strokecase0001 \
  --dwi "$cases/isles22-strokecase0001/sub-strokecase0001_ses-0001_dwi.nii.gz" \
  --adc "$cases/isles22-strokecase0001/sub-strokecase0001_ses-0001_adc.nii.gz"
run_case isles22-raw-mha islesraw \
  --dwi "$(ls "$cases"/isles22-raw-mha/images/dwi-brain-mri/*.mha)" \
  --adc "$(ls "$cases"/isles22-raw-mha/images/adc-brain-mri/*.mha)"
run_case ads-subject01 adssubject01 \
  --dwi "$cases/ads-subject01/Subject01_DWI.nii.gz" --b0 "$cases/ads-subject01/Subject01_b0.nii.gz"
run_case ads-subject02 adssubject02 \
  --dwi "$cases/ads-subject02/Subject02_DWI.nii.gz" --b0 "$cases/ads-subject02/Subject02_b0.nii.gz" \
  --adc "$cases/ads-subject02/Subject02_ADC.nii.gz"
echo "report-screenshots: outputs in $out, screenshots in $shots" >&2
