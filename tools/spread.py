"""Measure how the notebooks' checked numbers spread across seeds and numerics.

Runs both notebooks under nbval once per configuration (a seed, and optionally
oneDNN off or one CPU core), collects every `utils.check` value, and prints one
table: each check's value per run, its limit, and the margin the worst run keeps.
This is where the limits in the notebooks' check cells come from (`make spread`).

    python tools/spread.py                    the default set (about 15-20 min on 2 cores)
    python tools/spread.py --seeds 0 1 --variants default onednn-off
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {  # name: (extra environment, command prefix)
    "default": ({}, []),
    "onednn-off": ({"TF_ENABLE_ONEDNN_OPTS": "0"}, []),
    "one-core": ({}, ["taskset", "-c", "0"]),
}
DEFAULT_RUNS = [(s, "default") for s in (0, 1, 2, 3)] + [
    (s, v) for v in ("onednn-off", "one-core") for s in (0, 1)]


def run(seed, variant, record):
    """Run both notebooks under nbval; return (passed, seconds, summary line)."""
    extra_env, prefix = VARIANTS[variant]
    env = {**os.environ, **extra_env, "COURSE_SEED": str(seed), "COURSE_RECORD": str(record)}
    command = prefix + [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider",
                        "--nbval-lax", "notebooks"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    summary = lines[-1] if lines else "?"
    if done.returncode != 0:  # name what failed
        summary += "; " + "; ".join(line for line in lines if line.startswith(("FAILED", "ERROR")))
    return done.returncode == 0, time.perf_counter() - start, summary


def margin(row):
    """Distance from the value to the nearest limit (negative: the check failed)."""
    return min(row["value"] - row["low"], row["high"] - row["value"])


def table(results):
    """A Markdown table: one row per check, one column per run."""
    runs = list(results)
    checks = list(dict.fromkeys(r["check"] for rows in results.values() for r in rows))
    out = ["| check | " + " | ".join(runs) + " | limit | worst margin |",
           "|---" * (len(runs) + 3) + "|"]
    for check in checks:
        cells, rows = [], []
        for name in runs:
            mine = [r for r in results[name] if r["check"] == check]
            rows += mine
            # a check that runs several times in one notebook: show its worst value
            worst = min(mine, key=margin) if mine else None
            cells.append(f"{worst['value']:.4g}" if worst else "–")
        low, high = rows[0]["low"], rows[0]["high"]
        limit = (f">= {low:g}" if math.isfinite(low) else "") + \
                (" and " if math.isfinite(low) and math.isfinite(high) else "") + \
                (f"<= {high:g}" if math.isfinite(high) else "")
        out.append(f"| {check} | " + " | ".join(cells) +
                   f" | {limit} | {min(margin(r) for r in rows):.4g} |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS))
    parser.add_argument("--json", type=Path, help="also write every recorded value here")
    args = parser.parse_args()
    runs = ([(s, v) for v in args.variants or ["default"] for s in args.seeds or [0]]
            if args.seeds or args.variants else DEFAULT_RUNS)
    results, status = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for seed, variant in runs:
            name = f"seed {seed} {variant}"
            record = Path(tmp) / f"{seed}-{variant}.jsonl"
            passed, seconds, summary = run(seed, variant, record)
            status.append(f"{name}: {'PASS' if passed else 'FAIL'} in {seconds:.0f} s ({summary})")
            print(status[-1], flush=True)
            results[name] = [json.loads(line) for line in record.read_text().splitlines()] \
                if record.exists() else []
    print()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({"runs": status, "values": results}, indent=1))
    return 0 if all("PASS" in s for s in status) else 1


if __name__ == "__main__":
    sys.exit(main())
