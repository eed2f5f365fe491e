"""Every number the lecture prints is pinned (tools/claims.PRINTED, tools/printed.py): by a
check the notebook runs, by nbval comparing a tagged cell's output, or by a named test."""
import re

import claims
import nbformat
import printed
import pytest
from conftest import ROOT
from course import registry

TESTS = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))


@pytest.mark.parametrize("notebook", sorted(printed.NOTEBOOKS))
def test_every_printed_number_has_a_row_that_pins_it(notebook):
    assert list(printed.printed_lines(notebook))
    missing = printed.unpinned(notebook)
    assert not missing, (f"{notebook}: printed numbers that no row of tools/claims.PRINTED "
                         f"pins: {missing}")


@pytest.mark.parametrize("row", claims.PRINTED, ids=[f"{r[0]} {r[1]}" for r in claims.PRINTED])
def test_each_row_matches_a_printed_line_and_names_real_pins(row):
    notebook, _, pattern, pins = row
    cells = [cell for cell, line in printed.printed_lines(notebook) if re.search(pattern, line)]
    assert cells, f"no printed line matches {pattern!r}: drop the row, or fix its pattern"
    source = "\n".join(c.source for c in nbformat.read(printed.NOTEBOOKS[notebook],
                                                       as_version=4).cells)
    for pin in pins:
        if pin == "nbval":
            assert all("nbval-check-output" in c.metadata.get("tags", []) for c in cells), row
        elif pin.startswith("test:"):
            assert f"def {pin[5:]}(" in TESTS, pin
        else:
            called = f'checks.check("{pin}"' in source or (
                pin == "settings" and "checks.check_training(" in source) or (
                pin.endswith(("_init_mean", "_init_std")) and
                f'checks.check(f"{{name}}_init_{pin.rsplit("_", 1)[1]}"' in source)
            assert pin in registry.CHECKS and called, f"{notebook} does not run check {pin}"


def test_readme_printed_numbers_table_is_generated_from_the_rows():
    readme = (ROOT / "README.md").read_text()
    table = readme.split(printed.BEGIN)[1].split(printed.END)[0].strip()
    assert table == printed.table().strip(), "run `make readme`"
