"""The notebooks' exercises: solved copies for CI, and a handout without solutions.

Each exercise is four cells: a statement, a cell tagged `exercise` (the student's
skeleton, with `...`), a cell tagged `exercise-check`, and a markdown cell tagged
`solution` that holds the solution's code and why, folded in <details>. Folded markdown
shows closed in JupyterLab, VS Code and Colab alike, and "Run all" never runs it. Each
solution is written once, in its exercise (course/exercises/nb01.py, nb02.py); the folded
cells are generated from it.

    python tools/solutions.py fold            rewrite the notebooks' folded solutions from
                                             the exercise modules
    python tools/solutions.py solved DIR      notebooks with each skeleton replaced by its
                                             solution, and each check asserted (nbval runs these;
                                             their exercises' runs as QUICK_RUNS says)
    python tools/solutions.py handout DIR    the course folder without the solution cells
"""

import argparse
import ast
import re
import shutil
import sys
from pathlib import Path

import nbformat
from spread import ROOT  # tools/spread.py: the course's top folder

NOTEBOOKS = ROOT / "notebooks"
HELPERS = sorted(p.name for p in NOTEBOOKS.iterdir()  # what the notebooks read beside them
                 if p.suffix in {".py", ".css"} or p.name == "course")
EXERCISES = NOTEBOOKS / "course" / "exercises"
FOLD = ("<details>\n<summary><b>Solution</b> (open it when you have tried)</summary>\n\n"
        "```python\n{code}\n```\n\n**Why.** {why}\n\n</details>")
CODE = re.compile(r"```python\n(.*?)\n```", re.S)


def tagged(cell, tag):
    return tag in cell.metadata.get("tags", [])


def exercises(nb):
    """(skeleton, check, solution) cell triples, in order."""
    cells = nb.cells
    found = []
    for i, cell in enumerate(cells):
        if tagged(cell, "exercise"):
            check, solution = cells[i + 1], cells[i + 2]
            assert tagged(check, "exercise-check") and tagged(solution, "solution"), (
                f"exercise at cell {i}: expected its check, then its solution")
            found.append((cell, check, solution))
    return found


def solution_code(cell):
    return CODE.search(cell.source).group(1)


def given(notebook_name):
    """{exercise: (solution code, why)}, read from the notebook's exercise module (its
    syntax tree: no TensorFlow needed)."""
    tree = ast.parse((EXERCISES / f"nb{notebook_name[:2]}.py").read_text(encoding="utf-8"))
    return {node.targets[0].id: (ast.literal_eval(node.value.args[4]),
                                 ast.literal_eval(node.value.args[5]))
            for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") ==
            "Exercise"}


def folded(nb, notebook_name=None):
    """A copy whose folded solution cells are generated from the exercise module."""
    nb = nbformat.from_dict(nb)
    solutions = given(notebook_name or nb.metadata.get("course_notebook", ""))
    for _, check, solution in exercises(nb):
        code, why = solutions[check.source.split(".")[1]]
        solution.source = FOLD.format(code=code, why=why)
    return nb


# In the solved copies, what the exercises train on, set in a cell after their heading: 02's
# width sweep and learning rates (17 one-epoch trainings, 37 s of a 120 s run on a 2-core
# Zen 3) train on the first 10,000 training images, as the exercise test's runs do. A check
# judges what the runs give, whatever their length; a student's runs use all 60,000.
QUICK_RUNS = {"02": "data.train = tuple(a[:10_000] for a in data.train)"}


def solved(nb, notebook_name=None):
    """A copy with every skeleton replaced by its solution, and every check asserted; its
    exercises' runs shortened as QUICK_RUNS says."""
    nb = nbformat.from_dict(nb)
    quick = QUICK_RUNS.get((notebook_name or "")[:2])
    if quick:
        heading = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
        nb.cells.insert(heading + 1, nbformat.v4.new_code_cell(
            f"{quick}  # the solved copy's runs: tools/solutions.py, QUICK_RUNS",
            metadata={"slideshow": {"slide_type": "skip"}}))
    for skeleton, check, solution in exercises(nb):
        skeleton.source = solution_code(solution)
        check.source = (f"feedback = {check.source.splitlines()[0]}\n"
                        "assert feedback.passed, feedback.message  # CI: the solution passes\n"
                        "feedback")
    return nb


def without_solutions(nb, notebook_name=None):
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if not tagged(c, "solution")]
    return nb


def write(folder, transform):
    """The notebooks, transformed, with the helpers they import beside them (links if
    possible, so the copies always run the current helpers)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nbformat.write(transform(nbformat.read(path, as_version=4), path.name),
                       folder / path.name)
    for name in HELPERS:
        target = folder / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)  # our own copy of course/, written here before
        if transform is solved:
            target.symlink_to(NOTEBOOKS / name)
        elif (NOTEBOOKS / name).is_dir():
            shutil.copytree(NOTEBOOKS / name, target,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(NOTEBOOKS / name, target)
    return folder


def fold():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        new = folded(nb, path.name)
        if new != nb:
            nbformat.write(new, path)
            print(f"rewrote the folded solutions in {path.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["fold", "solved", "handout"])
    parser.add_argument("folder", type=Path, nargs="?")
    args = parser.parse_args()
    if args.what == "fold":
        return fold()
    if args.folder is None:
        parser.error("the folder to write the copies to is missing")
    if args.folder.resolve() == NOTEBOOKS.resolve():
        sys.exit("error: write the copies to another folder; notebooks/ stays as it is")
    if args.what == "handout" and args.folder.exists() and any(args.folder.iterdir()):
        sys.exit(f"error: {args.folder}/ exists and is not empty; it may hold your edits. "
                 "Move it away (or delete it yourself), then run this again.")
    folder = write(args.folder, solved if args.what == "solved" else without_solutions)
    print(f"wrote {args.what} notebooks to {folder}")


if __name__ == "__main__":
    main()
