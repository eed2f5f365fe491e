"""`make mutants` (tools/mutants.py): its bugs still apply to the current code, each names
the check that must catch it, and README's table is the stored result."""
import json

import mutants
import pytest
from conftest import ROOT
from course import registry


@pytest.mark.parametrize("name", mutants.MUTANTS)
def test_each_bug_still_applies_to_the_current_code(name, tmp_path):
    _, _, edits, check = mutants.MUTANTS[name]
    for file, old, new in edits:
        target = tmp_path / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / file).read_bytes())
        mutants.edit(target, old, new)  # raises unless old is there exactly once
        assert (ROOT / file).read_bytes() != target.read_bytes()


def test_bugs_cover_model_data_training_evaluation_setup_and_printed_numbers():
    areas = {area for area, *_ in mutants.MUTANTS.values()}
    assert len(mutants.MUTANTS) >= 14
    assert areas == {"model", "data", "training", "evaluation", "setup", "printed numbers"}


def test_each_bug_is_caught_by_a_check_of_the_registry():
    for name, (_, _, _, check) in mutants.MUTANTS.items():
        assert check in registry.CHECKS, name


def test_each_bug_edits_code_not_a_comment():
    for name, (_, _, edits, _) in mutants.MUTANTS.items():
        for _, old, _ in edits:
            assert "#" not in old, (name, old)


def test_readme_mutants_table_is_the_stored_result():
    stored = json.loads(mutants.MUTANTS_FILE.read_text())
    assert set(stored["mutants"]) == set(mutants.MUTANTS)
    readme = (ROOT / "README.md").read_text()
    table = readme.split(mutants.BEGIN)[1].split(mutants.END)[0].strip()
    assert table == mutants.table(stored).strip(), "run `make readme`"
    assert all(r["caught"] for r in stored["mutants"].values())
