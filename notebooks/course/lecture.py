"""What notebook 02 imports from notebook 01: the classes 01's cells build, from those cells.

01 builds MLPScratch on its slides, a piece per cell. ``define`` runs the definitions in
01's lecture cells (its functions and classes, nothing else) and returns one of them, so
there is one source for the model, and what 02 trains is what 01 shows.
"""

import ast
import json
import linecache
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # notebooks/


def lecture_cells(cells):
    """A notebook's cells before its "## Exercises" heading."""
    for cell in cells:
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith("## Exercises"):
            return
        yield cell


def definitions(notebook):
    """The top-level functions and classes of a notebook's lecture cells, as one module."""
    cells = json.loads((HERE / notebook).read_text(encoding="utf-8"))["cells"]
    body = [node for cell in lecture_cells(cells) if cell["cell_type"] == "code"
            for node in ast.parse("".join(cell["source"])).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    return ast.Module(body=body, type_ignores=[])


def define(notebook, name, namespace):
    """Run the definitions of notebook's lecture cells in namespace; return `name`.

    Their source is registered under a name of its own, as IPython does for a cell, so
    that inspect (and so tf.function's AutoGraph) can read it."""
    source = ast.unparse(definitions(notebook)) + "\n"
    filename = f"<{notebook}: lecture definitions>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(namespace)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    return namespace[name]
