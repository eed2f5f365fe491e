"""Measure every quantity the notebooks measure, on many seeds, and store it (`make spread`).

Runs both notebooks' lecture cells (everything before "## Exercises"), the notebooks'
own code, once per seed, with $COURSE_RECORD set: each `checks.measure` and
`checks.check` appends its value. Writes notebooks/spread.json (one row per run and
quantity, with the device, the versions, the date and the code's fingerprint) and the
"Checks" table in README.md. Finished runs are kept in .spread-cache/ and not redone
after an interruption, as long as the code has not changed.

    python tools/spread.py                         seeds 0-9 (about 20 min on 2 cores)
    SPREAD_SEEDS="0 1 2" python tools/spread.py    other seeds
    python tools/spread.py --variants default onednn-off one-core   other numerics too
    python tools/spread.py --variants default onednn-off one-core --variant-seeds 0 1 2
                                                   ...the other numerics on seeds 0-2 only
    python tools/spread.py --readme                only rewrite README's table from the file
"""

import argparse
import datetime
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
import _base  # noqa: E402  (no TensorFlow)

ROOT = _base.ROOT  # the course's top folder
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SPREAD_FILE = ROOT / "notebooks" / "spread.json"
CACHE = ROOT / ".spread-cache"
README = ROOT / "README.md"
BEGIN, END = "<!-- spread table: begin -->", "<!-- spread table: end -->"
VARIANTS = {  # name: (extra environment, command prefix)
    "default": ({}, []),
    "onednn-off": ({"TF_ENABLE_ONEDNN_OPTS": "0"}, []),
    "one-core": ({}, ["taskset", "-c", "0"]),
}


def run_label(seed, variant):
    """How a run is named in spread.json: '3', or '3 onednn-off'."""
    return str(seed) if variant == "default" else f"{seed} {variant}"


def execute_lecture(record):
    """Child process: run each notebook's lecture cells in the course kernel."""
    import nbformat
    from nbclient import NotebookClient

    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nb.cells = list(_base.lecture_cells(nb.cells))
        NotebookClient(nb, kernel_name=_base.KERNEL, timeout=600,
                       resources={"metadata": {"path": str(path.parent)}}).execute()


def run(seed, variant, record):
    """Run both notebooks once (a fresh process, so taskset applies to the kernels)."""
    extra_env, prefix = VARIANTS[variant]
    env = {**os.environ, **extra_env, "COURSE_SEED": str(seed), "COURSE_RECORD": str(record)}
    record.unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run(prefix + [sys.executable, __file__, "--execute", str(record)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"seed {seed} {variant} failed:\n{done.stderr[-3000:]}")
    record.with_suffix(".done").write_text(f"{time.perf_counter() - start:.0f}\n")


def rows_of(record, label):
    """One row per quantity of one run (a quantity measured twice: its last value)."""
    rows = {}
    for line in record.read_text().splitlines():
        row = json.loads(line)
        kept = rows.get(row["quantity"], {})
        rows[row["quantity"]] = {"run": label, "quantity": row["quantity"],
                                 "value": row["value"],
                                 "limits": row["limits"] or kept.get("limits")}
    return list(rows.values())


def measure(seeds, variants, variant_seeds=None):
    """Run what is missing, with progress and an ETA; return all rows. variant_seeds: the
    seeds run with the variants other than the default (all seeds if None)."""
    fingerprint = _base.code_fingerprint()
    cache = CACHE / fingerprint[:16]
    cache.mkdir(parents=True, exist_ok=True)
    runs = [(s, v) for v in variants
            for s in (seeds if v == "default" or variant_seeds is None else variant_seeds)]
    todo = [(s, v) for s, v in runs if not (cache / f"{v}-{s}.done").exists()]
    print(f"{len(runs)} runs, {len(runs) - len(todo)} already measured for this code "
          f"({cache.relative_to(ROOT)})", flush=True)
    took = []
    for i, (seed, variant) in enumerate(todo, 1):
        start = time.perf_counter()
        run(seed, variant, cache / f"{variant}-{seed}.jsonl")
        took.append(time.perf_counter() - start)
        eta = statistics.median(took) * (len(todo) - i)
        print(f"[{i}/{len(todo)}] seed {seed} {variant}: {took[-1]:.0f} s; "
              f"about {eta / 60:.0f} min to go", flush=True)
    rows = [row for s, v in runs for row in rows_of(cache / f"{v}-{s}.jsonl", run_label(s, v))]
    seconds = sum(float((cache / f"{v}-{s}.done").read_text()) for s, v in runs)
    return fingerprint, rows, seconds


def write_file(fingerprint, rows, seconds, seeds, variants):
    from utils import runtime_report

    stored = {
        "about": "Every quantity the notebooks measure, one row per run (seed) and quantity. "
                 "Written by `make spread` (tools/spread.py); do not edit by hand.",
        "measured": datetime.date.today().isoformat(),
        "environment": re.sub(r" \| seed \d+", "", runtime_report()),
        "cpu": cpu_name(),
        "code_fingerprint": fingerprint,
        "seeds": seeds, "variants": variants,
        "seconds": round(seconds),
        "rows": rows,
    }
    SPREAD_FILE.write_text(json.dumps(stored, indent=1) + "\n")


def cpu_name():
    try:
        text = Path("/proc/cpuinfo").read_text()
        return re.search(r"model name\s*:\s*(.*)", text).group(1).strip()
    except (OSError, AttributeError):
        return "unknown CPU"


def fmt(x):
    return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


def readme_table(stored):
    """The README's "Checks" table, from spread.json: every checked quantity, the bug it is
    there to catch, its limit and its worst margin; then the false-alarm rate."""
    import checks  # TensorFlow loads here
    import claims

    by_quantity, spread = {}, {}
    for row in stored["rows"]:
        by_quantity.setdefault(row["quantity"], []).append(row)
        spread.setdefault(row["quantity"], {})[row["run"]] = row["value"]
    m = len(claims.OUTCOME_CHECKS)
    lines = [f"Measured {stored['measured']} on {stored['cpu']}, {stored['environment']}; "
             f"runs: {', '.join(dict.fromkeys(r['run'] for r in stored['rows']))}.", "",
             "| check | catches | runs | lowest | mean | highest | sd | limit | worst margin |",
             "|---|---|---|---|---|---|---|---|---|"]
    fixed_z, roundoff = 0, []
    for name, rows in by_quantity.items():
        limits = next((r["limits"] for r in rows if r["limits"]), None)
        if limits is None:
            continue
        values = [r["value"] for r in rows]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        if limits == "spread":
            low, high = checks.spread_limits(name, spread)
            limit = f"{fmt(low)} to {fmt(high)} (false alarm {checks.FALSE_ALARM / m:.0e})"
        else:
            low, high = (-math.inf if limits[0] is None else limits[0],
                         math.inf if limits[1] is None else limits[1])
            limit = " and ".join(([f"≥ {fmt(low)}"] if math.isfinite(low) else []) +
                                 ([f"≤ {fmt(high)}"] if math.isfinite(high) else []))
            fixed_z += "standard errors" in name
            if name.endswith(", u") and math.isfinite(high):
                roundoff.append(max(values))
        margin = min(min(v - low, high - v) for v in values)
        catches = claims.CATCHES.get(name, "")
        name = name.replace("|", "\\|")  # a literal | inside a Markdown table cell
        lines.append(f"| {name} | {catches} | {len(values)} | {fmt(min(values))} | "
                     f"{fmt(statistics.mean(values))} | {fmt(max(values))} | {fmt(sd)} | "
                     f"{limit} | {fmt(margin)} |")
    z_alarm = fixed_z * 2 * (1 - statistics.NormalDist().cdf(5))
    lines += ["", f"**False alarms.** A correct course fails a notebook run's {m} outcome "
              f"checks (limits from the seeds) with probability at most "
              f"{checks.FALSE_ALARM:g} (1 in {1 / checks.FALSE_ALARM:,.0f}) on an unseen seed: "
              f"each gets {checks.FALSE_ALARM / m:.0e}, as a normal prediction interval from "
              f"the {len(stored['seeds'])} stored seeds. The {fixed_z} initialisation checks "
              f"(5 standard errors) add {z_alarm:.0e}. The round-off checks allow "
              f"{checks.ROUNDOFF_LIMIT} u, {checks.ROUNDOFF_LIMIT / max(roundoff, default=1):.0f}"
              f" times the worst measured ({max(roundoff, default=0):.2g} u); the mechanism "
              "checks are exact."]
    return "\n".join(lines)


def replace_in_readme(begin, end, table):
    """Put table between the README's two markers (what `make spread` and `make bench` do)."""
    text = README.read_text()
    start, stop = text.index(begin) + len(begin), text.index(end)
    README.write_text(text[:start] + "\n" + table + "\n" + text[stop:])


def write_readme(stored):
    replace_in_readme(BEGIN, END, readme_table(stored))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+",
                        default=[int(s) for s in os.environ.get("SPREAD_SEEDS", "").split()]
                        or list(range(10)))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["default"])
    parser.add_argument("--variant-seeds", type=int, nargs="+",
                        help="seeds for the variants other than default (default: --seeds)")
    parser.add_argument("--readme", action="store_true", help="only rewrite README's table")
    parser.add_argument("--execute", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.execute:
        return execute_lecture(args.execute)
    if not args.readme:
        fingerprint, rows, seconds = measure(args.seeds, args.variants, args.variant_seeds)
        write_file(fingerprint, rows, seconds, args.seeds, args.variants)
        print(f"wrote {SPREAD_FILE.relative_to(ROOT)}: {len(rows)} rows")
    write_readme(json.loads(SPREAD_FILE.read_text()))
    print(f"wrote the Checks table in {README.name}")


if __name__ == "__main__":
    sys.exit(main())
