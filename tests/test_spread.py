"""The stored spread (notebooks/spread.json): enough seeds, measured on the current code,
and the one source of the README's Checks table and of the notebooks' verdicts."""
import json
import re

import _base
import checks
import claims
import nbformat
import pytest
import spread
from conftest import ROOT

STORED = json.loads(spread.SPREAD_FILE.read_text())
VALUES = _base.load_spread(spread.SPREAD_FILE)


def test_spread_was_measured_on_the_current_code():
    assert STORED["code_fingerprint"] == _base.code_fingerprint(), (
        "code the notebooks' numbers depend on (utils.py, checks.py, _course.py, _base.py "
        "or a notebook's lecture code) changed since notebooks/spread.json was "
        "measured: run `make spread` (it re-measures, then rewrites the README's table)")


def copy_of_the_code(tmp_path):
    for name in [*_base.MEASURED_CODE, *[p.name for p in spread.NOTEBOOKS]]:
        (tmp_path / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
    return tmp_path


def test_code_fingerprint_ignores_prose_docstrings_comments_and_the_course_address(tmp_path):
    root = copy_of_the_code(tmp_path)
    before = _base.code_fingerprint(root)
    nb_path = root / spread.NOTEBOOKS[0].name
    nb = nbformat.read(nb_path, as_version=4)
    next(c for c in nb.cells if c.cell_type == "markdown").source += " More prose."
    nbformat.write(nb, nb_path)
    utils_py = root / "utils.py"  # a docstring reworded, wherever the docstrings stand
    utils_py.write_text(utils_py.read_text().replace('"""', '"""Reworded. ', 1))
    checks_py = root / "checks.py"  # a comment added
    checks_py.write_text("# A new comment.\n" + checks_py.read_text())
    import publish

    text = nb_path.read_text()
    nb_path.write_text(publish.SETTING.sub('COURSE_REPO = \\"https://example.org/x\\"', text))
    assert "https://example.org/x" in nb_path.read_text()
    assert _base.code_fingerprint(root) == before


@pytest.mark.parametrize("file, old, new", [
    ("01-mlp-scratch.ipynb", r"lr=[0-9.]+\)\ntrainer = utils.Trainer",
     "lr=0.5)\ntrainer = utils.Trainer"),
    ("utils.py", r"self.optim.apply_gradients\(zip\(grads,",
     "self.optim.apply_gradients(zip([g / 3 for g in grads],"),
    ("utils.py", r"tf.math.maximum\((.*), 0\)", r"\1"),
], ids=["learning rate", "optimizer", "ReLU"])
def test_code_fingerprint_changes_with_any_change_to_what_is_measured(tmp_path, file, old, new):
    root = copy_of_the_code(tmp_path)
    before = _base.code_fingerprint(root)
    path = root / file
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.source = re.sub(old, new, cell.source)
        nbformat.write(nb, path)
    else:
        path.write_text(re.sub(old, new, path.read_text()))
    assert path.read_bytes() != (ROOT / "notebooks" / file).read_bytes()  # it applied
    assert _base.code_fingerprint(root) != before


def test_every_quantity_has_at_least_10_seeds():
    assert len(STORED["seeds"]) >= 10
    for name, runs in VALUES.items():
        seeds = [run for run in runs if run.isdigit()]
        assert len(seeds) >= 10, f"{name}: {len(seeds)} seeds"


def test_every_open_question_and_claim_is_stored():
    names = [claims.BASELINE, *claims.OPEN_QUESTIONS, *claims.OUTCOME_CHECKS,
             *[c[2] for c in claims.CLAIMS], *[c[3] for c in claims.CLAIMS if c[3]]]
    for name in names:
        assert name in VALUES, name


def test_readme_checks_table_is_generated_from_the_spread_file():
    readme = (ROOT / "README.md").read_text()
    table = readme.split(spread.BEGIN)[1].split(spread.END)[0].strip()
    assert table == spread.readme_table(STORED).strip(), (
        "README's Checks table differs from notebooks/spread.json: "
        "run `python tools/spread.py --readme`")


VERDICT = re.compile(r"\*\*(?:No clear difference between (.+?) and (.+?)\*\*|"
                     r"(.+?) is (?:higher|lower) than (.+?): )")


def stored_verdicts():
    for path in spread.NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                text = out.get("data", {}).get("text/markdown", "")
                if VERDICT.match(text):
                    yield path.name, text


def test_notebook_verdicts_agree_with_the_spread_file():
    verdicts = list(stored_verdicts())
    assert len(verdicts) >= 8  # MLP vs softmax, concise vs scratch, 6 open questions
    for notebook, text in verdicts:
        groups = VERDICT.match(text).groups()
        a, b = groups[:2] if groups[0] else groups[2:]
        family = ({q: checks.paired(VALUES, q, b) for q in claims.OPEN_QUESTIONS}
                  if "(Holm)" in text else None)
        assert text.startswith(checks.verdict(checks.paired(VALUES, a, b), a, b,
                                              family=family)), (
            f"{notebook}: its stored verdict is not what spread.json says now; re-run it")


def test_spread_resumes_without_redoing_finished_runs(monkeypatch, tmp_path):
    monkeypatch.setattr(spread, "CACHE", tmp_path)
    monkeypatch.setattr(spread, "ROOT", tmp_path)
    cache = tmp_path / _base.code_fingerprint()[:16]
    cache.mkdir()
    for seed in (0, 1):
        (cache / f"default-{seed}.jsonl").write_text(
            json.dumps({"quantity": "q", "value": 0.5 + seed, "seed": seed, "limits": None}) + "\n")
        (cache / f"default-{seed}.done").write_text("90\n")
    monkeypatch.setattr(spread, "run", lambda *a: pytest.fail("a finished run was redone"))
    _, rows, seconds = spread.measure([0, 1], ["default"])
    assert [(r["run"], r["value"]) for r in rows] == [("0", 0.5), ("1", 1.5)]
    assert seconds == 180


def test_readme_speed_table_is_generated_from_the_stored_bench():
    import bench

    readme = (ROOT / "README.md").read_text()
    table = readme.split(bench.BEGIN)[1].split(bench.END)[0].strip()
    stored = json.loads(bench.BENCH_FILE.read_text())
    assert table == bench.table(stored).strip(), (
        "README's Speed table differs from tools/bench.json: run `python tools/bench.py "
        "--readme`, or `make bench` to measure again")
