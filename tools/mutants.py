"""Put realistic bugs into copies of the course and check that the notebooks catch each one
(`make mutants`, about 20 min on 2 cores; not part of `make test`).

Each bug is a text edit in one or more files. For each, the course is copied (without
.git), the edit applied, and both notebooks run under nbval in the course kernel, as a
student's machine or a host's CI would run them. A bug counts as caught when a check cell
fails with an error whose message names the check (its name in course/registry.py, where
each check says what it catches); a cell that fails otherwise (a crash, say) does not count.
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
from course import registry  # noqa: E402  (tools/spread.py put notebooks/ on the path)

ROOT = spread.ROOT  # the course's top folder

MUTANTS_FILE = ROOT / "tools" / "mutants.json"
BEGIN, END = "<!-- mutants table: begin -->", "<!-- mutants table: end -->"
NB1, NB2 = "notebooks/01-mlp-scratch.ipynb", "notebooks/02-mlp-concise.ipynb"

# name: (area, what the bug is, [(file, old code, new code)], the registry key of the check
# that must catch it). Every edit is anchored on code, never on a comment.
UTILS, CHECKS = "notebooks/utils.py", "notebooks/course/checks.py"
MUTANTS = {
    "relu": ("model", "ReLU left out of the forward pass (01, and so utils.MLPScratch)", [
        (NB1, "H = relu(tf.matmul(X, self.W1) + self.b1)",
         "H = tf.matmul(X, self.W1) + self.b1"),
    ], "affine_gap"),
    "sigma": ("model", "weights drawn with sigma 0.1 instead of 0.01 (01's MLPScratch)", [
        (NB1, "lr, sigma=0.01):", "lr, sigma=0.1):"),
    ], "W1_init_std"),
    "lr": ("training", "learning rate 0.02 instead of 0.1 in 01's training cell", [
        (NB1, "lr=0.1)\ntrainer = utils.Trainer", "lr=0.02)\ntrainer = utils.Trainer"),
    ], "settings"),
    "update": ("training", "every update a third of its size (utils.Trainer)", [
        (UTILS, "self.optim.apply_gradients(zip(grads,",
         "self.optim.apply_gradients(zip([g / 3 for g in grads],"),
    ], "sgd_step"),
    "half-epochs": ("training", "the trainer stops each epoch halfway (utils.Trainer)", [
        (UTILS, "self.run(self.train_step, self.train_dataloader,",
         "self.run(self.train_step, self.train_dataloader.take(self.num_train_batches // 2),"),
    ], "settings"),
    "same-order": ("data", "one shuffle for every epoch (a fixed seed): the same batches", [
        (UTILS, "tf.stack([seed, 0])", "tf.stack([0, 0])"),
    ], "fresh_batches"),
    "pixels": ("data", "pixels left in 0-255, not scaled to 0-1", [
        (UTILS, "tf.float32) / 255, tf.gather(y, i)", "tf.float32), tf.gather(y, i)"),
    ], "training_data"),
    "labels": ("data", "labels gathered in another order than their images", [
        (UTILS, "tf.float32) / 255, tf.gather(y, i)",
         "tf.float32) / 255, tf.gather(y, tf.sort(i))"),
    ], "training_data"),
    "half-the-data": ("data", "half the training images, each seen twice an epoch", [
        (UTILS, "stateless_shuffle(tf.range(n),", "stateless_shuffle(tf.range(n) % (n // 2),"),
    ], "training_data"),
    "evaluate-count": ("evaluation",
                       "evaluate counts 4,096 images per batch (the last has 1,808)", [
        (UTILS, "logits, n = model(X), n + len(y)", "logits, n = model(X), n + EVALUATION_BATCH"),
    ], "evaluate"),
    "evaluate-split": ("evaluation", "evaluate(train=True) reads the test images", [
        (UTILS, "for X, y in data.get_dataloader(train, EVALUATION_BATCH):",
         "for X, y in data.get_dataloader(False, EVALUATION_BATCH):"),
    ], "overfit_gap"),
    "seed": ("setup", "set_seed seeds Python's random only, not TensorFlow", [
        (UTILS, "tf.keras.utils.set_random_seed(SEED if seed is None else seed)",
         "__import__('random').seed(SEED if seed is None else seed)"),
    ], "seeding"),
    "table": ("printed numbers", "01's table prints the MLP's accuracy for softmax's too", [
        (NB1, '"test accuracy": [round(mlp_acc, 4), round(softmax_acc, 4)]',
         '"test accuracy": [round(mlp_acc, 4), round(mlp_acc, 4)]'),
    ], "printed_table"),
    "speed-up": ("printed numbers", "the speed table's speed-up inverted (slower reads faster)", [
        (CHECKS, 'table["speed-up"] = table["ms/step"].iloc[0] / table["ms/step"]',
         'table["speed-up"] = table["ms/step"] / table["ms/step"].iloc[0]'),
    ], "speed_table"),
    "stored-range": ("printed numbers", "the stored seeds' range printed as highest to lowest", [
        (CHECKS, "return float(np.mean(values)), min(values), max(values), len(values)",
         "return float(np.mean(values)), max(values), min(values), len(values)"),
    ], "stored_summary"),
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
    name = registry.CHECKS[check].name
    said = re.compile(r"\w+Error: [^\n]*" + re.escape(name))  # the error, not the source
    caught_by = [test for test, text in failed if said.search(text)]
    return {"area": area, "bug": what, "check": check, "caught": bool(caught_by),
            "cells": [test for test, _ in failed], "caught_by": caught_by,
            "seconds": round(time.perf_counter() - start)}


def table(stored):
    seconds = sum(r["seconds"] for r in stored["mutants"].values())
    lines = [f"Measured {stored['measured']}: each bug put into a copy of the course, both "
             f"notebooks run under nbval; {seconds} s in all.", "",
             "| bug | area | caught | by the check | failed cells |", "|---|---|---|---|---|"]
    for name, r in stored["mutants"].items():
        lines.append(f"| {r['bug']} (`{name}`) | {r['area']} | "
                     f"{'yes' if r['caught'] else '**no**'} | {registry.CHECKS[r['check']].name} | "
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
