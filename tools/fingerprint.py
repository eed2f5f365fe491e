"""Which code the stored seeds were measured on: a fingerprint of the code that moves numbers.

It covers exactly what can move a measured number: the model, the data, the trainer and
evaluation (the definitions listed in MEASURED), and the lecture's visible code cells.
It leaves out what cannot: docstrings, comments, imports, the hidden check and setup
cells (slide type "skip"), the names of the `checks` functions the cells call (their
arguments stay in), statistics, figures, the exercises and the README. A typo fixed, a
statistics helper renamed or a colour changed keeps it; a changed number, model line or
training setting changes it, and test_spread names `make spread` as the fix.
"""

import ast
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))
from course.lecture import lecture_cells  # noqa: E402  (no TensorFlow)

MEASURED = {  # file under notebooks/: the top-level definitions in it that move numbers
    "utils.py": ["FashionMNIST", "MLPScratch", "Trainer", "SEED", "set_seed", "evaluate",
                 "EVALUATION_BATCH"],
    "course/training.py": ["loader", "compile_epoch", "graph_accuracy"],
}
NOT_MEASURED = {"COURSE_REPO"}  # the setup cell's address (`make publish`) moves no number
CHECKS_MODULE = "checks"  # `checks.anything(...)` in a cell: the call's name is left out


def code_fingerprint(root=None):
    """sha256 of the code the stored seeds depend on, as Python sees it."""
    notebooks = Path(root or ROOT) / "notebooks"
    digest = hashlib.sha256()
    for name, wanted in MEASURED.items():
        tree = ast.parse((notebooks / name).read_text(encoding="utf-8"))
        for node in tree.body:
            if _defines(node) & set(wanted):
                digest.update(_dump(node).encode())
    for path in sorted(notebooks.glob("*.ipynb")):
        for source in measured_cells(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            for node in ast.parse(source).body:
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    digest.update(_dump(node).encode())
    return digest.hexdigest()


def measured_cells(cells):
    """The sources of a notebook's visible lecture code cells (not its skip cells)."""
    for cell in lecture_cells(cells):
        slide = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if cell["cell_type"] == "code" and slide != "skip":
            yield "".join(cell["source"])


def _defines(node):
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {getattr(t, "id", None) for t in node.targets}
    return set()


def _dump(node):
    """The syntax tree of node, without docstrings and with `checks.*` names blanked."""
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if isinstance(body, list):
            child.body = [s for s in body if not _is_docstring(s)] or [ast.Pass()]
        if isinstance(child, ast.Attribute) and getattr(child.value, "id", None) == CHECKS_MODULE:
            child.attr = "_"
    if isinstance(node, ast.Assign) and _defines(node) & NOT_MEASURED:
        return ""
    return ast.dump(node, annotate_fields=False)


def _is_docstring(statement):
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


if __name__ == "__main__":
    print(code_fingerprint())
