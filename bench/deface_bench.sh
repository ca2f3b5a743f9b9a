#!/usr/bin/env bash
# Defaces every shared real head image in four storage orders (as stored, axes permuted and
# flipped, x flipped, tilted 15 degrees) on one core, and prints one table row per image and
# orientation: verification result, brain voxels changed, face voxels left, face-mask Dice
# and largest face-voxel shift against the stored orientation, and seconds (read, register, map, clear, verify).
# Usage: bench/deface_bench.sh (run from the checkout after scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "| image | orientation | verified | head Dice | brain voxels | brain voxels changed | face voxels cleared | face voxels left | face Dice vs stored | largest face shift vs stored (mm) | seconds |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
taskset -c 0 build/strokefair_tests --gtest_filter='DefaceRealHeads.*' 2>/dev/null |
  awk -F'\t' '$1 == "deface" {
    split($4, p, " "); split($5, h, " "); split($6, b, " "); split($7, c, " ");
    split($8, f, " "); split($9, l, " "); split($10, d, " "); split($11, s, " "); split($12, m, " ");
    printf "| %s | %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %.1f |\n", $2, $3,
      (p[2] == 1 ? "yes" : "no"), h[2], b[2], c[2], f[2], l[2],
      (($3 == "as-stored" || d[2] < 0) ? "-" : sprintf("%.3f", d[2])),
      (($3 == "as-stored" || d[2] < 0) ? "-" : sprintf("%.1f", m[2])), s[2] }'
