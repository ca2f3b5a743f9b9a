#!/usr/bin/env bash
# Regenerates bench/library_results.md: imports the SOOP development subset into a fresh
# library, cross-validates NIHSS/mRS prediction and retrieval for a grid of settings, and
# measures import time, peak memory and query latency (one thread).
#
#   bench/library_eval.sh [--synthetic N]     (default N = 1000000)
#
# Needs build/strokefair and the shared data (cohorts/soop). Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
synthetic=1000000
[[ "${1:-}" == "--synthetic" ]] && synthetic="$2"

bin=build/strokefair
data="${STROKEFAIR_DATA:-$(cd .. && pwd)/shared/data}"
soop="$data/cohorts/soop"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1  # one core, as the latency targets are stated

/usr/bin/time -v "$bin" library import "$work/soop.db" --masks "$soop/lesions" \
  --participants "$soop/participants.tsv" 2>"$work/import.txt"
import_s=$(grep "Elapsed (wall clock)" "$work/import.txt" | awk '{print $NF}')
import_kb=$(grep "Maximum resident set size" "$work/import.txt" | awk '{print $NF}')
import_cpu=$(awk '/User time|System time/ {s += $NF} END {printf "%.1f", s}' "$work/import.txt")
imported=$(grep -o "imported [0-9]* case(s), [0-9]* with clinical fields" "$work/import.txt")

row() {  # settings label, then evaluate options
  local label="$1"; shift
  "$bin" library evaluate "$work/soop.db" --json "$@" >"$work/e.json"
  python3 - "$label" "$work/e.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[2]))
n, m, r = e["nihss"], e["mrs"], e["retrieval"]
print(f"| {sys.argv[1]} | {n['cases']} | {n['pearson_r']:.3f} | {n['mae']:.2f} | "
      f"{n['interval_coverage']:.2f} | {n['mean_interval_width']:.1f} | {m['pearson_r']:.3f} | "
      f"{m['mae']:.2f} | {m['interval_coverage']:.2f} | {r['same_territory']:.2f} | {r['same_side']:.2f} |")
PY
}

{
  echo "# Similar-case library: evaluation on the SOOP development subset"
  echo
  echo "Regenerate with \`bench/library_eval.sh\` (after \`scripts/build.sh\`); generated $(date -u +%Y-%m-%d)"
  echo "on $(nproc) shared cores, OMP_NUM_THREADS=1."
  echo
  echo "## Prediction and retrieval (leave-one-out cross-validation)"
  echo
  echo "Every case is left out in turn and predicted from its nearest cases among the other"
  echo "1,158 ($imported). NIHSS and 90-day mRS: Pearson r, mean absolute error, and the share"
  echo "of held-out values inside the nominal 80% interval (10th-90th weighted percentile of the"
  echo "neighbours' adjusted outcomes), with its mean width. Retrieval: mean share of the 10"
  echo "nearest cases whose dominant level-2 territory (e.g. left MCA) is the query's, and whose"
  echo "side is the query's. By chance those shares would be 0.25 and 0.50."
  echo
  echo "| settings | NIHSS n | NIHSS r | NIHSS MAE | NIHSS 80% coverage | width | mRS r | mRS MAE | mRS 80% coverage | top-10 same territory | top-10 same side |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  row "**defaults** (k 30, anatomy 0.5, volume 0.5, side 0.5, bandwidth 1, adjustment 1)"
  row "no volume/age adjustment" --covariate-adjustment 0
  row "equal neighbour weights" --bandwidth 0
  row "k 10" -k 10
  row "k 20" -k 20
  row "k 40" -k 40
  row "territories only (anatomy 0)" --anatomy-weight 0
  row "anatomy 1" --anatomy-weight 1
  row "volume weight 1" --volume-weight 1
  row "volume weight 0.25" --volume-weight 0.25
  row "side weight 1" --side-weight 1
  row "regions as ln(1 + mL)" --region-log-ml
  row "age re-ranking 0.3" --age-weight 0.3
  row "volume only (no location)" --territory-weight 0 --anatomy-weight 0 --side-weight 0 --volume-weight 1
  echo
  echo "## Benchmark"
  echo
  echo "- Import of $(ls "$soop/lesions" | wc -l) SOOP masks (157x189x136, 1 mm) into a new library:"
  echo "  wall time $import_s (m:ss) on the shared machine, CPU time (user + system) ${import_cpu} s,"
  echo "  peak resident memory $((import_kb / 1024)) MiB."
  echo '- Query latency, median of 200 queries, k = 30, one thread (`strokefair library benchmark'
  echo "  LIBRARY --synthetic $synthetic\`; synthetic vectors are real feature vectors drawn at"
  echo "  random plus Gaussian noise, sd 0.05 per component):"
  echo
  echo '```'
  /usr/bin/time -v "$bin" library benchmark "$work/soop.db" --synthetic "$synthetic" 2>"$work/bench.txt"
  echo '```'
  echo
  echo "  Peak resident memory of the benchmark: $(( $(grep 'Maximum resident' "$work/bench.txt" | awk '{print $NF}') / 1024 )) MiB."
  echo
  echo "- End-to-end \`strokefair similar\` on one SOOP mask (reads the mask and three atlases,"
  echo "  loads 1,159 cases, builds the exact index): wall time"
  start=$(date +%s.%N)
  "$bin" similar "$work/soop.db" --mask "$soop/lesions/sub-1011_lesion.nii.gz" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "  $(python3 -c "print(f'{($end - $start):.2f}')") s."
} >bench/library_results.md
echo "wrote bench/library_results.md" >&2
