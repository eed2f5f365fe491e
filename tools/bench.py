"""How long the notebooks take here, against compiled Keras doing the same training (`make bench`).

Measured in this one run, each figure the median of --repeat runs (default 3):
- each notebook end to end, executed in the course kernel, lectures and solved copies;
- each training cell (a `Trainer(max_epochs=N)` fit) against the reference: a compiled
  Keras `fit` of the same MLP on in-memory batches (compile + fit, the fastest way
  TensorFlow offers, with tf.data's autotuning off as in the course's loader), scaled to
  N epochs;
- the slowest other cells, the setup cells, and TensorFlow's own import (timed in the
  reference's fresh process), which the setup cells pay first;
- with --suite, the wall time of `make test`'s pytest run (once: it takes minutes).
It prints the tables, stores the measurements in tools/bench.json and the tables in
README.md ("Speed"). Nothing here asserts a time.

    python tools/bench.py                   both notebooks and their solved copies, 3 runs
    python tools/bench.py --suite           ...and the test suite's wall time
    python tools/bench.py --lectures        the two lectures only
    python tools/bench.py --root ../other   another checkout of the course (same kernel)
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import spread  # tools/spread.py, beside this file: the README and CPU helpers

ROOT = spread.ROOT  # the course's top folder
TRAINING = re.compile(r"Trainer\(max_epochs=(\d+)\)")  # a training cell, and its epochs
# The goal for every live cell but the trainings and the setup: 5 s on the slowest 2-core
# machine measured, where compiled Keras took 15.1 s for 10 epochs. 2-core machines differ
# by 2-3x from day to day, so a cell is judged against Keras timed in the same run.
GOAL_SECONDS, GOAL_KERAS = 5.0, 15.1
SLOW = GOAL_SECONDS / GOAL_KERAS  # a cell's seconds / Keras's 10 epochs

REFERENCE = """
import os, time
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
start = time.perf_counter()
import tensorflow as tf
imported = time.perf_counter() - start
(X, y), _ = tf.keras.datasets.fashion_mnist.load_data()
data = tf.data.Dataset.from_tensor_slices((X[..., None] / 255, y)).shuffle(60000, seed=0)
data = data.batch(256).map(lambda X, y: (tf.cast(X, tf.float32), y)).cache()
options = tf.data.Options()  # as the course's loader: no tuner thread, no stall at fit's end
options.autotune.enabled = False
data = data.with_options(options)
net = tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(256, "relu"),
                           tf.keras.layers.Dense(10)])
net.compile(tf.keras.optimizers.SGD(0.1),
            tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
start = time.perf_counter()
net.fit(data, epochs=10, verbose=0)
print(imported, time.perf_counter() - start)
"""


def seconds(stamp_a, stamp_b):
    parse = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(stamp_b) - parse(stamp_a)).total_seconds()


def run_notebook(path):
    """Execute one notebook: its wall time and [cell index, seconds, epochs or 0, first line]
    for every code cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, kernel_name=spread.environment.KERNEL, timeout=900, record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    total = time.perf_counter() - start
    cells = []
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            epochs = TRAINING.search(c.source)
            cells.append([i, seconds(c.metadata.execution["iopub.execute_input"],
                                     c.metadata.execution["shell.execute_reply"]),
                          int(epochs.group(1)) if epochs else 0, c.source.splitlines()[0]])
    return total, cells


def reference():
    """(TensorFlow's import, compiled Keras's 10 epochs), in seconds, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", REFERENCE], capture_output=True, text=True,
                          check=True)
    imported, fit = done.stdout.split()[-2:]
    return float(imported), float(fit)


def suite(root):
    """The wall time of the test suite (pytest, as `make test` runs it), in seconds; None,
    with pytest's summary line, if it did not pass (a failing run's time measures nothing)."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=root, check=False,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode:
        summary = (run.stdout.strip().splitlines() or ["no output"])[-1]
        print(f"The test suite did not pass ({summary}): its time is not stored. Run "
              "`make test` to see why.", file=sys.stderr)
        return None
    return seconds


BENCH_FILE = ROOT / "tools" / "bench.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench table: begin -->", "<!-- bench table: end -->"


def median_cells(results):
    """{cell index: (median seconds, epochs, first line)} over runs of one notebook."""
    by_cell = {}
    for _, cells in results:
        for i, took, epochs, line in cells:
            by_cell.setdefault(i, [[], epochs, line])[0].append(took)
    return {i: (statistics.median(t), e, line) for i, (t, e, line) in by_cell.items()}


def table(stored):
    """The Markdown tables of one stored bench run."""
    ref = statistics.median(r[1] for r in stored["reference"])
    imported = statistics.median(r[0] for r in stored["reference"])
    runs = len(stored["reference"])
    lines = [f"Measured {stored['measured']} on {stored['cpu']}, median of {runs} runs. "
             f"Reference: compiled Keras `fit`, 10 epochs, {ref:.1f} s; TensorFlow's "
             f"import, {imported:.1f} s.", "",
             "| notebook | end to end | trainings (10 epochs) | Keras, same epochs | ratio |",
             "|---|---|---|---|---|"]
    lectures, epochs_all, slow, rows = 0.0, 0, [], []
    for name, results in stored["runs"].items():
        total = statistics.median(r[0] for r in results)
        cells = median_cells(results)
        trainings = [(i, t, e) for i, (t, e, _) in cells.items() if e]
        epochs = sum(e for _, _, e in trainings)
        if "solved" not in name:
            lectures, epochs_all = lectures + total, epochs_all + epochs
            first_two = sorted(cells)[:2]  # the setup cells
            rows.append((name, sum(cells[i][0] for i in first_two)))
            slow += [(t, name, i, line) for i, (t, e, line) in cells.items()
                     if not e and i not in first_two]
        lines.append(f"| {name} | {total:.0f} s | "
                     + ", ".join(f"cell {i}: {t:.1f} s = {t / (ref * e / 10):.2f} ×"
                                 for i, t, e in trainings)
                     + f" | {ref * epochs / 10:.0f} s | {total / (ref * epochs / 10):.2f} |")
    lines.append(f"| both lectures | {lectures:.0f} s | {epochs_all} epochs in all | "
                 f"{ref * epochs_all / 10:.0f} s | {lectures / (ref * epochs_all / 10):.2f} |")
    lines.append(f"| both lectures / (3 × 10 epochs of Keras) | | | {3 * ref:.0f} s | "
                 f"{lectures / (3 * ref):.2f} |")
    lines += ["", f"Other cells: the goal is {SLOW:.2f} × Keras's 10 epochs ({GOAL_SECONDS:.0f} s "
              f"where those take {GOAL_KERAS:.0f} s).", "",
              "| other cells (lectures) | seconds | × Keras's 10 epochs | against a bare "
              "`import tensorflow` |", "|---|---|---|---|"]
    lines += [f"| setup cells of {name} | {t:.1f} | | {t - imported:+.1f} s |"
              for name, t in rows]
    for t, name, i, line in sorted(slow, reverse=True)[:5]:
        mark = " (over the goal)" if t / ref > SLOW else ""
        lines.append(f"| {name}, cell {i}: `{line[:45]}` | {t:.1f} | {t / ref:.2f}{mark} | |")
    if stored.get("suite"):
        lines += ["", f"Test suite (`pytest`, as `make test` runs it, once): "
                  f"{stored['suite']:.0f} s = {stored['suite'] / ref:.1f} × Keras's 10 epochs."]
    return "\n".join(lines)


def write_readme(stored):
    spread.replace_in_readme(BEGIN, END, table(stored))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--suite", action="store_true", help="time the test suite too")
    parser.add_argument("--lectures", action="store_true",
                        help="the two lectures only, not their solved copies")
    parser.add_argument("--json", type=Path, help="write the measurements here instead")
    parser.add_argument("--readme", action="store_true", help="only rewrite README's table")
    args = parser.parse_args()
    if args.readme:
        return write_readme(json.loads(BENCH_FILE.read_text()))
    notebooks = {p.stem: p for p in sorted((args.root / "notebooks").glob("*.ipynb"))}
    if not args.lectures:
        solved = args.root / "build" / "bench-solved"  # every exercise solved, as CI runs them
        subprocess.run([sys.executable, args.root / "tools" / "solutions.py", "solved", solved],
                       check=True, stdout=subprocess.DEVNULL)  # that checkout's own tool
        notebooks |= {f"{p.stem} (solved)": p for p in sorted(solved.glob("*.ipynb"))}
    runs = {name: [] for name in notebooks}
    refs = []
    for i in range(args.repeat):  # interleaved, so a busy spell hits every column alike
        refs.append(reference())
        for name, path in notebooks.items():
            runs[name].append(run_notebook(path))
            print(f"run {i + 1}/{args.repeat}: {name} {runs[name][-1][0]:.1f} s",
                  file=sys.stderr, flush=True)
    stored = {"measured": datetime.date.today().isoformat(),
              "cpu": f"{spread.cpu_name()} ({os.cpu_count()} cores)",
              "reference": refs, "runs": runs,
              "suite": suite(args.root) if args.suite else None}
    print(table(stored))
    (args.json or BENCH_FILE).write_text(json.dumps(stored, indent=1) + "\n")
    if args.json is None and args.root == ROOT:
        write_readme(stored)


if __name__ == "__main__":
    main()
