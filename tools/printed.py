"""Every number the lecture prints, and what pins it (tools/claims.PRINTED): found, checked.

``printed_lines`` reads the stored outputs of each notebook's visible lecture cells;
``unpinned`` lists the lines with a number that no row of PRINTED matches; ``table`` is the
README's "Printed numbers" table.
"""

import re

import claims
import nbformat
from course.lecture import lecture_cells
from fingerprint import ROOT

BEGIN, END = "<!-- printed table: begin -->", "<!-- printed table: end -->"
NOTEBOOKS = {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}


def output_text(output):
    if output.output_type == "stream":
        return output.text
    data = output.get("data", {})
    return data.get("text/markdown") or data.get("text/plain", "")


def printed_lines(notebook):
    """(cell, line) for each line with a digit in the outputs of a notebook's visible
    lecture code cells."""
    nb = nbformat.read(NOTEBOOKS[notebook], as_version=4)
    for cell in lecture_cells(nb.cells):
        if cell.cell_type != "code" or cell.metadata.get("slideshow", {}).get(
                "slide_type") == "skip":
            continue
        for output in cell.get("outputs", []):
            for line in output_text(output).splitlines():
                if re.search(r"\d", line):
                    yield cell, line.strip()


def rows_matching(notebook, line):
    return [row for row in claims.PRINTED if row[0] == notebook and re.search(row[2], line)]


def unpinned(notebook):
    return [line for _, line in printed_lines(notebook) if not rows_matching(notebook, line)]


def pin_text(pin):
    from course import registry

    if pin == "nbval":
        return "nbval compares the output"
    if pin.startswith("test:"):
        return f"test `{pin[5:]}`"
    return f"check: {registry.CHECKS[pin].name}"


def table():
    lines = ["| notebook | what is printed | pinned by |", "|---|---|---|"]
    for notebook, what, _, pins in claims.PRINTED:
        pinned = "; ".join(pin_text(p) for p in pins).replace("|", "\\|")  # | in a cell
        lines.append(f"| {NOTEBOOKS[notebook].stem} | {what} | {pinned} |")
    return "\n".join(lines)
