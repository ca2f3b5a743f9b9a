#!/usr/bin/env python3
"""Benchmark of `strokefair analyze` on every shared case with a DWI.

Runs each case REPEATS times pinned to one CPU core, and prints the median wall time, the
median peak resident memory and the median time of each pipeline stage per case. Usage:

    python3 bench/analyze_bench.py [--repeats 5] [--binary build/strokefair] [--data DIR]

The reference tool (JHU ADS) cannot run here (it needs TensorFlow and its model files); its
published CPU run time is about 2.5 minutes per case, so no ratio is measured in this run.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

CASES = {
    "isles22-strokecase0001": ["--dwi", "{c}/sub-strokecase0001_ses-0001_dwi.nii.gz",
                               "--adc", "{c}/sub-strokecase0001_ses-0001_adc.nii.gz"],
    "isles22-raw-mha": ["--dwi", "{c}/images/dwi-brain-mri/33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c.mha",
                        "--adc", "{c}/images/adc-brain-mri/06de5518-fde4-4d29-90fa-4cacf066b590.mha",
                        "--subject", "rawmha"],
    "ads-subject01": ["--dwi", "{c}/Subject01_DWI.nii.gz", "--b0", "{c}/Subject01_b0.nii.gz"],
    "ads-subject02": ["--dwi", "{c}/Subject02_DWI.nii.gz", "--b0", "{c}/Subject02_b0.nii.gz",
                      "--adc", "{c}/Subject02_ADC.nii.gz"],
}


def run_once(binary, arguments, scratch):
    out = os.path.join(scratch, "out")
    shutil.rmtree(out, ignore_errors=True)
    command = ["taskset", "-c", "0", "/usr/bin/time", "-f", "%e %M %U %S", binary, "-q", "analyze",
               *arguments, "--out", out]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    wall, rss_kb, user, system = result.stderr.strip().splitlines()[-1].split()
    summary = json.loads(result.stdout)
    return float(wall), int(rss_kb) / 1024, summary["timings_s"], float(user) + float(system)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--binary", default=os.path.join(here, "..", "build", "strokefair"))
    parser.add_argument("--data", default=os.environ.get(
        "STROKEFAIR_DATA", os.path.join(here, "..", "..", "shared", "data")))
    args = parser.parse_args()

    print(f"strokefair analyze, {args.repeats} runs per case, one core (taskset -c 0)")
    # CPU time (user + system) is reported beside wall time: on a shared machine wall time
    # includes waiting for the core, CPU time does not.
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'case':<24}{'wall s':>8}{'CPU s':>7}{'peak MB':>9}  stages (median wall s)")
    with tempfile.TemporaryDirectory() as scratch:
        for name, template in CASES.items():
            case = os.path.join(args.data, "cases", name)
            if not os.path.isdir(case):
                print(f"{name:<24} missing", file=sys.stderr)
                continue
            arguments = [a.format(c=case) for a in template]
            runs = [run_once(args.binary, arguments, scratch) for _ in range(args.repeats)]
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            cpu = statistics.median(r[3] for r in runs)
            stages = {s: statistics.median(r[2][s] for r in runs) for s in runs[0][2]}
            stage_text = ", ".join(f"{s} {v:.2f}" for s, v in stages.items() if s != "total")
            print(f"{name:<24}{wall:>8.2f}{cpu:>7.2f}{rss:>9.0f}  {stage_text}")


if __name__ == "__main__":
    main()
