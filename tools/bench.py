"""How long the notebooks take here, against compiled Keras doing the same training (`make bench`).

For each notebook: its time end to end and its longest cell, executed in the course
kernel; and the reference, a 10-epoch Keras `fit` of the same MLP (compile + fit, the
fastest way TensorFlow offers), times the notebook's number of 10-epoch trainings.
Everything is measured in this one run, as the median of --repeat runs (default 3).
It prints the table, stores the measurements in tools/bench.json and the table in
README.md ("Speed"). Nothing here asserts a time.

    python tools/bench.py                   both notebooks, 3 runs each
    python tools/bench.py --root ../other   another checkout of the course (same kernel)
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import spread  # tools/spread.py, beside this file: the README and CPU helpers

ROOT = spread.ROOT  # the course's top folder

TRAININGS = 2  # 10-epoch trainings per notebook: MLP and softmax (01), concise and scratch (02)

REFERENCE = """
import os, time
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import tensorflow as tf
(X, y), _ = tf.keras.datasets.fashion_mnist.load_data()
data = tf.data.Dataset.from_tensor_slices((X[..., None] / 255, y)).shuffle(60000, seed=0)
data = data.batch(256).map(lambda X, y: (tf.cast(X, tf.float32), y)).cache()
net = tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(256, "relu"),
                           tf.keras.layers.Dense(10)])
net.compile(tf.keras.optimizers.SGD(0.1),
            tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
start = time.perf_counter()
net.fit(data, epochs=10, verbose=0)
print(time.perf_counter() - start)
"""


def seconds(stamp_a, stamp_b):
    parse = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(stamp_b) - parse(stamp_a)).total_seconds()


def run_notebook(path):
    """Execute one notebook; return its wall time and its longest cell (seconds, first line)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, kernel_name=spread._base.KERNEL, timeout=900, record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    total = time.perf_counter() - start
    cells = [(seconds(c.metadata.execution["iopub.execute_input"],
                      c.metadata.execution["shell.execute_reply"]), i, c.source.splitlines()[0])
             for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return total, max(cells)


def reference():
    done = subprocess.run([sys.executable, "-c", REFERENCE], capture_output=True, text=True,
                          check=True)
    return float(done.stdout.split()[-1])


BENCH_FILE = ROOT / "tools" / "bench.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench table: begin -->", "<!-- bench table: end -->"


def table(stored):
    """The Markdown table of one stored bench run."""
    ref = statistics.median(stored["reference"])
    lines = [f"Measured {stored['measured']} on {stored['cpu']}, median of "
             f"{len(stored['reference'])} runs; compiled Keras, 10 epochs: {ref:.1f} s.", "",
             "| notebook | end to end | longest cell | compiled Keras, "
             f"{TRAININGS} × 10 epochs | ratio |", "|---|---|---|---|---|"]
    both = 0
    for name, results in stored["runs"].items():
        total = statistics.median(r[0] for r in results)
        longest = sorted(r[1] for r in results)[len(results) // 2]
        both += 0 if "solved" in name else total
        lines.append(f"| {name} | {total:.0f} s | {longest[0]:.1f} s (cell {longest[1]}: "
                     f"`{longest[2][:40]}`) | {TRAININGS * ref:.0f} s | "
                     f"{total / (TRAININGS * ref):.1f} |")
    lines.append(f"| both lectures | {both:.0f} s | | 3 × 10 epochs: {3 * ref:.0f} s | "
                 f"{both / (3 * ref):.1f} |")
    return "\n".join(lines)


def write_readme(stored):
    spread.replace_in_readme(BEGIN, END, table(stored))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the measurements here instead")
    parser.add_argument("--readme", action="store_true", help="only rewrite README's table")
    args = parser.parse_args()
    if args.readme:
        return write_readme(json.loads(BENCH_FILE.read_text()))
    notebooks = {p.stem: p for p in sorted((args.root / "notebooks").glob("*.ipynb"))}
    sys.path.insert(0, str(args.root / "tools"))
    import solutions  # the notebooks with every exercise solved, as CI runs them

    solved = solutions.write(args.root / "build" / "bench-solved", solutions.solved)
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
              "reference": refs, "runs": runs}
    print(table(stored))
    (args.json or BENCH_FILE).write_text(json.dumps(stored, indent=1) + "\n")
    if args.json is None and args.root == ROOT:
        write_readme(stored)


if __name__ == "__main__":
    main()
