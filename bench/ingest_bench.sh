#!/usr/bin/env bash
# Times `strokefair ingest` against dcm2niix alone on the same DICOM (median of N runs each,
# interleaved), and against heudiconv (convertall heuristic, one call per exam folder, since
# it takes one subject per call) when it is installed; prints the ratios.
# Usage: bench/ingest_bench.sh [runs] (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=${STROKEFAIR_DATA:-../shared/data}
strokefair=build/strokefair
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The same input for both: the shared DICOM with the gzip-wrapped Philips files unpacked
# beforehand (dcm2niix alone cannot read them), outside the timed part.
mkdir -p "$work/in"
cp -r "$data/dicom/dcm_qa_subset/In" "$work/in/siemens"
cp -r "$data/dicom/dcm_qa_deident/In" "$work/in/ge"
mkdir -p "$work/in/philips"
for f in "$data"/dicom/dcm_qa_philips_dwi/In/cl/DICOM/*.gz; do
  gunzip -c "$f" > "$work/in/philips/$(basename "$f" .gz)"
done
chmod -R u+w "$work/in"

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: > "$work/dcm2niix.times"
: > "$work/ingest.times"
: > "$work/heudiconv.times"
have_heudiconv=$(command -v heudiconv >/dev/null && echo yes || echo no)
for run in $(seq "$runs"); do
  rm -rf "$work/out" "$work/bids" "$work/bids.key.json"
  mkdir -p "$work/out"
  start=$(now)
  dcm2niix -b y -z y -f %s_%p -o "$work/out" "$work/in" >/dev/null 2>&1
  echo "$(now) - $start" | bc >> "$work/dcm2niix.times"

  start=$(now)
  "$strokefair" -q ingest "$work/in" --bids "$work/bids" \
    --config docs/examples/site-mapping.json >/dev/null
  echo "$(now) - $start" | bc >> "$work/ingest.times"

  if [ "$have_heudiconv" = yes ]; then
    rm -rf "$work/heudiconv"
    start=$(now)
    subject=0
    for exam in siemens ge philips; do
      subject=$((subject + 1))
      heudiconv --files "$work/in/$exam" -o "$work/heudiconv" -f convertall -s "0$subject" \
        -c dcm2niix -b --overwrite >/dev/null 2>&1
    done
    echo "$(now) - $start" | bc >> "$work/heudiconv.times"
  fi
done

d=$(median < "$work/dcm2niix.times")
i=$(median < "$work/ingest.times")
echo "files: $(find "$work/in" -type f | wc -l) DICOM input files; runs: $runs"
echo "dcm2niix -z y alone (median s): $d"
echo "strokefair ingest   (median s): $i"
echo "ratio ingest / dcm2niix: $(echo "scale=2; $i / $d" | bc)"
if [ "$have_heudiconv" = yes ]; then
  h=$(median < "$work/heudiconv.times")
  echo "heudiconv convertall (median s): $h"
  echo "ratio ingest / heudiconv: $(echo "scale=2; $i / $h" | bc)"
  echo "images written by the last run: ingest $(find "$work/bids" -name '*.nii.gz' | wc -l)," \
       "heudiconv $(find "$work/heudiconv" -name '*.nii.gz' | wc -l)," \
       "dcm2niix $(find "$work/out" -name '*.nii.gz' | wc -l)"
else
  echo "heudiconv not installed: not compared"
fi
