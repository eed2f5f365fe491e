"""Measure every quantity the notebooks measure, on many seeds, and store it (`make spread`).

Runs both notebooks' lecture cells (everything before "## Exercises"), the notebooks'
own code, once per seed, with a recorder configured in each kernel first
(`course.seeds.record_to`): each `checks.measure` and `checks.check` gives it its value.
Writes notebooks/course/spread.json (one row per run and quantity, with the device, the
versions, the date and the code's fingerprint) and the "Checks" table in README.md.
Finished runs are kept in .spread-cache/ and not redone after an interruption, as long as
the code has not changed.

    python tools/spread.py                seeds 0-9, and seeds 0-2 with each of the other
                                          numerics (VARIANTS): 19 runs, 15-20 min on 2 cores
    SPREAD_SEEDS="0 1 2" python tools/spread.py    other seeds
    python tools/spread.py --variants default      the seeds alone, no other numerics
    python tools/spread.py --readme       only rewrite README's table from the file
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

import fingerprint  # noqa: E402  (tools/fingerprint.py; puts notebooks/ on the path)
from course import environment, seeds  # noqa: E402  (no TensorFlow)
from course.lecture import lecture_cells  # noqa: E402

ROOT = fingerprint.ROOT  # the course's top folder
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SPREAD_FILE = seeds.SPREAD_FILE
CACHE = ROOT / ".spread-cache"
README = ROOT / "README.md"
BEGIN, END = "<!-- spread table: begin -->", "<!-- spread table: end -->"
VARIANTS = {  # name: (how the README names it, extra environment, command prefix)
    "default": ("by default", {}, []),
    "onednn-off": ("with oneDNN off", {"TF_ENABLE_ONEDNN_OPTS": "0"}, []),
    "one-core": ("on one core", {}, ["taskset", "-c", "0"]),
    # oneDNN's matrix products as on a CPU without AVX-512 (most laptops); on one without
    # AVX-512, the same runs as the default
    "avx2": ("with oneDNN held to AVX2", {"ONEDNN_MAX_CPU_ISA": "AVX2"}, []),
}
VARIANT_SEEDS = [0, 1, 2]  # the seeds each of the other numerics runs on


def run_label(seed, variant):
    """How a run is named in spread.json: '3', or '3 onednn-off'."""
    return str(seed) if variant == "default" else f"{seed} {variant}"


def execute_lecture(record):
    """Child process: run each notebook's lecture cells in the course kernel, after a first
    cell that configures the recorder."""
    import nbformat
    from nbclient import NotebookClient

    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        first = nbformat.v4.new_code_cell(
            f"import sys; sys.path.insert(0, {str(path.parent)!r})\n"
            f"from course import seeds; seeds.record_to({str(record)!r})")
        nb.cells = [nb.cells[0], first, *lecture_cells(nb.cells[1:])]
        NotebookClient(nb, kernel_name=environment.KERNEL, timeout=600,
                       resources={"metadata": {"path": str(path.parent)}}).execute()


def run(seed, variant, record):
    """Run both notebooks once (a fresh process, so taskset applies to the kernels)."""
    _, extra_env, prefix = VARIANTS[variant]
    env = {**os.environ, **extra_env, "COURSE_SEED": str(seed)}
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
        rows[row["quantity"]] = {"run": label, "quantity": row["quantity"], "value": row["value"]}
    return list(rows.values())


def measure(seeds, variants, variant_seeds=None):
    """Run what is missing, with progress and an ETA; return all rows. variant_seeds: the
    seeds run with the variants other than the default (all seeds if None)."""
    code = fingerprint.code_fingerprint()
    cache = CACHE / code[:16]
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
    return code, rows, seconds


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


def cpu_name(cpuinfo=Path("/proc/cpuinfo")):
    """The CPU's model name, its family and model numbers, and its widest vector
    instructions ("AMD EPYC (family 25, model 1), AVX2"): a cloud VM's model name is often
    the product line alone, shared by generations with and without AVX-512, which moves
    TensorFlow's matrix products most; the numbers tell the generations apart."""
    try:
        text = cpuinfo.read_text()
        name = re.search(r"model name\s*:\s*(.*)", text).group(1).strip()
    except (OSError, AttributeError):
        return "unknown CPU"
    flags = re.search(r"^flags\s*:(.*)$", text, re.MULTILINE)
    if flags is None:  # not an x86 CPU
        return name
    family = re.search(r"^cpu family\s*:\s*(\d+)", text, re.MULTILINE)
    model = re.search(r"^model\s*:\s*(\d+)", text, re.MULTILINE)
    if family and model:
        name += f" (family {family.group(1)}, model {model.group(1)})"
    widest = next((isa for flag, isa in [("avx512f", "AVX-512"), ("avx2", "AVX2")]
                   if flag in flags.group(1).split()), "no AVX2")
    return f"{name}, {widest}"


def fmt(x):
    return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


def readme_table(stored):
    """The README's "Checks" table: every check of the registry, the bug it is there to
    catch, its limit, and its values and worst margin on the stored runs."""
    from course import checks, registry  # TensorFlow loads here

    spread = {}
    for row in stored["rows"]:
        spread.setdefault(row["quantity"], {})[row["run"]] = row["value"]
    m = len(registry.OUTCOME_CHECKS)
    runs = list(dict.fromkeys(r["run"] for r in stored["rows"]))
    lines = [f"Measured {stored['measured']} on {stored['cpu']}, {stored['environment']}; "
             f"runs: {', '.join(runs)}; {stored['seconds']} s in all, "
             f"{stored['seconds'] / len(runs):.0f} s a run.", "",
             "| check | catches | runs | lowest | mean | highest | sd | limit | worst margin |",
             "|---|---|---|---|---|---|---|---|---|"]
    roundoff, margins = [], []
    for key, entry in registry.CHECKS.items():
        values = list(spread.get(key, {}).values())
        if entry.spread:
            low, high = checks.spread_limits(key, spread)
            limit = f"{fmt(low)} to {fmt(high)} (false alarm {registry.FALSE_ALARM / m:.0e})"
        else:
            low, high = entry.low, entry.high
            limit = entry.limits_text()
            if high == registry.ROUNDOFF_LIMIT:
                roundoff += values
        name = entry.name.replace("|", "\\|")  # a literal | inside a Markdown table cell
        if not values:
            lines.append(f"| {name} | {entry.catches} | 0 | | | | | {limit} | |")
            continue
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        margin = min(min(v - low, high - v) for v in values)
        margins.append(margin)
        lines.append(f"| {name} | {entry.catches} | {len(values)} | {fmt(min(values))} | "
                     f"{fmt(statistics.mean(values))} | {fmt(max(values))} | {fmt(sd)} | "
                     f"{limit} | {fmt(margin)} |")
    fixed_z = sum(e.low == -registry.Z_LIMIT for e in registry.CHECKS.values())
    z_alarm = fixed_z * 2 * (1 - statistics.NormalDist().cdf(registry.Z_LIMIT))
    lines += ["", f"**False alarms.** A correct course fails a notebook run's {m} outcome "
              f"checks (limits from the seeds) with probability at most "
              f"{registry.FALSE_ALARM:g} (1 in {1 / registry.FALSE_ALARM:,.0f}) on an unseen "
              f"seed: each gets {registry.FALSE_ALARM / m:.0e}, as a normal prediction "
              f"interval from the {len(stored['seeds'])} stored seeds. The {fixed_z} "
              f"initialisation checks ({registry.Z_LIMIT} standard errors) add {z_alarm:.0e}. "
              f"The round-off checks allow {registry.ROUNDOFF_LIMIT} u, "
              f"{registry.ROUNDOFF_LIMIT / max(roundoff, default=1):.0f} times the worst "
              f"measured ({max(roundoff, default=0):.2g} u); the other checks are exact."]
    moves = other_numerics(spread, runs)
    if moves:
        lines += ["", numerics_sentence(moves, inside=min(margins) >= 0)]
    return "\n".join(lines)


def other_numerics(spread, runs):
    """{variant: (largest move, the check it moved, values bit-identical, values)}: each
    check's value in a variant's run against the same seed's default run, in units of the
    check's standard deviation over the default seeds."""
    from course import registry

    moves = {}
    for run in runs:
        seed, _, variant = run.partition(" ")
        if not variant:
            continue
        worst, name, same, n = moves.get(variant, (0.0, "", 0, 0))
        for key, entry in registry.CHECKS.items():
            values = spread.get(key, {})
            if run not in values or seed not in values:
                continue
            default = [values[r] for r in values if r.isdigit()]
            sd = statistics.stdev(default) if len(default) > 1 else 0.0
            move = abs(values[run] - values[seed])
            scaled = 0.0 if move == 0 else move / sd if sd else math.inf
            n, same = n + 1, same + (move == 0)
            if scaled > worst:
                worst, name = scaled, entry.name
        moves[variant] = (worst, name, same, n)
    return moves


def numerics_sentence(moves, inside):
    """The README's sentence on other_numerics(); inside: every run within every limit."""
    parts = []
    for variant, (worst, name, same, n) in moves.items():
        how = VARIANTS[variant][0] if variant in VARIANTS else variant
        parts.append(f"{how}, all {n} values of the checks are bit-identical" if worst == 0
                     else f"{how}, a check's value moves by at most {worst:.1f} × its "
                          f"seed-to-seed standard deviation ({name}), and {same} of the {n} "
                          "values are bit-identical")
    return ("**Other numerics.** Against the same seed's default run: " + "; ".join(parts) +
            ". " + ("Every run lies inside every limit, these included (the worst margin "
                    "above)." if inside else "Some runs lie outside a limit (above)."))


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
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--variant-seeds", type=int, nargs="+", default=VARIANT_SEEDS,
                        help="seeds for the variants other than default")
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
