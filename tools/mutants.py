"""Put realistic bugs into copies of the course and check that the notebooks catch each one
(`make mutants`, about 15 min on 2 cores; not part of `make test`).

Each bug is a text edit in one or more files. For each, the course is copied (without
.git), the edit applied, and both notebooks run under nbval in the course kernel, as a
student's machine or a host's CI would run them. A bug counts as caught when a check cell
fails with an error whose message names the check (claims.CATCHES lists what each check
is for); a cell that fails otherwise (a crash, say) does not count.
Results go to tools/mutants.json and README's "Mutants" table.

    python tools/mutants.py                 every bug
    python tools/mutants.py relu lr         some of them, by name
    python tools/mutants.py --readme        only rewrite README's table from the file
"""

import argparse
import datetime
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import spread  # tools/spread.py: the README helper

ROOT = spread.ROOT  # the course's top folder

MUTANTS_FILE = ROOT / "tools" / "mutants.json"
BEGIN, END = "<!-- mutants table: begin -->", "<!-- mutants table: end -->"
NB1, NB2 = "notebooks/01-mlp-scratch.ipynb", "notebooks/02-mlp-concise.ipynb"

# name: (area, what the bug is, [(file, old text, new text)], the check that must catch it)
MUTANTS = {
    "relu": ("model", "ReLU left out of the forward pass (01 and utils.MLPScratch)", [
        (NB1, "H = relu(tf.matmul(X, self.W1) + self.b1)",
         "H = tf.matmul(X, self.W1) + self.b1"),
        ("notebooks/utils.py", "H = tf.math.maximum(tf.matmul(X, self.W1) + self.b1, 0)",
         "H = tf.matmul(X, self.W1) + self.b1"),
    ], "MLP distance from an affine map, u"),
    "sigma": ("model", "weights drawn with sigma 0.1 instead of 0.01 (01's MLPScratch)", [
        (NB1, "lr, sigma=0.01):", "lr, sigma=0.1):"),
    ], "W1 init std, standard errors"),
    "lr": ("training", "learning rate 0.02 instead of 0.1 in 01's training cell", [
        (NB1, "lr=0.1)\ntrainer = utils.Trainer", "lr=0.02)\ntrainer = utils.Trainer"),
    ], "trained with lr = 0.02"),
    "update": ("training", "every update a third of its size (utils.Trainer)", [
        ("notebooks/utils.py", "self.optim.apply_gradients(zip(grads,",
         "self.optim.apply_gradients(zip([g / 3 for g in grads],"),
    ], "SGD step vs -lr x gradient, u"),
    "half-epochs": ("training", "the trainer stops each epoch halfway (utils.Trainer)", [
        ("notebooks/utils.py", "self.run(self.train_step, self.train_dataloader,",
         "self.run(self.train_step, self.train_dataloader.take(self.num_train_batches // 2),"),
    ], "steps = 1170 (the slide: 2350)"),
    "batch-then-shuffle": ("data", "the loader batches, then shuffles (d2l's order)", [
        ("notebooks/utils.py", "data = data.shuffle(len(X), seed=self.seed)  # shuffle "
         "examples...\n        data = data.batch(self.batch_size)  # ...then batch",
         "data = data.batch(self.batch_size).shuffle(235, seed=self.seed)\n"
         "        data = data if train else data.batch(self.batch_size)"),
    ], "our loader: batches repeated in epoch 2"),
    "pixels": ("data", "pixels left in 0-255, not scaled to 0-1", [
        ("notebooks/utils.py", "tf.float32) / 255, tf.gather(y, i)",
         "tf.float32), tf.gather(y, i)"),
    ], "MLP minus softmax, points"),
    "evaluate-count": ("evaluation", "evaluate counts 256 images per batch (the last has 16)", [
        ("notebooks/utils.py", "logits, n = model(X), n + len(y)", "logits, n = model(X), n + 256"),
    ], "evaluate vs one-batch accuracy, images"),
    "evaluate-split": ("evaluation", "evaluate(train=True) reads the test images", [
        ("notebooks/utils.py", "for X, y in data.get_dataloader(train):",
         "for X, y in data.get_dataloader(False):"),
    ], "training minus test accuracy, points"),
    "seed": ("setup", "set_seed seeds Python's random only, not TensorFlow", [
        ("notebooks/utils.py", "tf.keras.utils.set_random_seed(SEED if seed is None else seed)",
         "__import__('random').seed(SEED if seed is None else seed)"),
    ], "same seed, same draws: largest difference"),
}


def copy_course(target):
    """The course's files, as git sees them (tracked and new, not ignored), in target."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def edit(path, old, new):
    """Replace old, found exactly once, by new: in a notebook's cell sources, or in a file."""
    path = Path(path)
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(path, as_version=4)
        hits = [cell for cell in nb.cells if old in cell.source]
        if len(hits) != 1 or hits[0].source.count(old) != 1:
            raise ValueError(f"{path.name}: {old!r} is not in exactly one place")
        hits[0].source = hits[0].source.replace(old, new)
        nbformat.write(nb, path)
        return
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise ValueError(f"{path.name}: {old!r} is not in exactly one place")
    path.write_text(text.replace(old, new), encoding="utf-8")


def apply(target, edits):
    for file, old, new in edits:
        edit(target / file, old, new)


def failures(junit):
    """(test id, first line of its failure) for each failed nbval cell."""
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        for failure in [*case.iter("failure"), *case.iter("error")]:
            text = (failure.get("message") or "") + "\n" + (failure.text or "")
            found.append((f"{Path(case.get('classname', '')).name}::{case.get('name')}",
                          re.sub(r"(\x1b|#x1B)\[[0-9;]*m", "", text)))  # no colours
    return found


def run_mutant(name):
    area, what, edits, check = MUTANTS[name]
    with tempfile.TemporaryDirectory(prefix=f"mutant-{name}-") as tmp:
        copy = copy_course(Path(tmp))
        apply(copy, edits)
        junit = copy / "junit.xml"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--nbval-lax", "-n", "2", "--dist", "loadscope", f"--junitxml={junit}",
                        NB1, NB2], cwd=copy, capture_output=True, text=True, timeout=1800)
        failed = failures(junit)
    said = re.compile(r"\w+Error: [^\n]*" + re.escape(check))  # the error, not the source
    caught_by = [test for test, text in failed if said.search(text)]
    return {"area": area, "bug": what, "check": check, "caught": bool(caught_by),
            "cells": [test for test, _ in failed], "caught_by": caught_by,
            "seconds": round(time.perf_counter() - start)}


def table(stored):
    lines = [f"Measured {stored['measured']}: each bug put into a copy of the course, both "
             "notebooks run under nbval.", "",
             "| bug | area | caught | by the check | failed cells |", "|---|---|---|---|---|"]
    for name, r in stored["mutants"].items():
        lines.append(f"| {r['bug']} (`{name}`) | {r['area']} | "
                     f"{'yes' if r['caught'] else '**no**'} | {r['check']} | "
                     f"{len(r['cells'])} |")
    caught = sum(r["caught"] for r in stored["mutants"].values())
    lines += ["", f"{caught} of {len(stored['mutants'])} bugs caught."]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *MUTANTS], default=[])
    parser.add_argument("--readme", action="store_true", help="only rewrite README's table")
    args = parser.parse_args()
    if not args.readme:
        stored = (json.loads(MUTANTS_FILE.read_text()) if MUTANTS_FILE.exists() and args.names
                  else {"mutants": {}})
        for name in args.names or MUTANTS:
            stored["mutants"][name] = result = run_mutant(name)
            print(f"{name}: {'caught' if result['caught'] else 'NOT CAUGHT'} "
                  f"({result['seconds']} s; failed: {', '.join(result['cells']) or 'nothing'})",
                  flush=True)
        stored["measured"] = datetime.date.today().isoformat()
        stored["mutants"] = {n: stored["mutants"][n] for n in MUTANTS if n in stored["mutants"]}
        MUTANTS_FILE.write_text(json.dumps(stored, indent=1) + "\n")
    stored = json.loads(MUTANTS_FILE.read_text())
    spread.replace_in_readme(BEGIN, END, table(stored))
    print(table(stored))
    return 0 if all(r["caught"] for r in stored["mutants"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
