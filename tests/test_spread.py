"""The stored spread (notebooks/spread.json): enough seeds, measured on the current code,
and the one source of the README's Checks table and of the notebooks' verdicts."""
import json
import re

import _course
import nbformat
import pytest
import spread
import utils
from conftest import ROOT

STORED = json.loads(spread.SPREAD_FILE.read_text())
VALUES = _course.load_spread(spread.SPREAD_FILE)


def test_spread_was_measured_on_the_current_code():
    assert STORED["code_fingerprint"] == _course.code_fingerprint(), (
        "utils.py, _course.py or a notebook's code changed since notebooks/spread.json was "
        "measured: run `make spread` (it re-measures, then rewrites the README's table)")


def test_code_fingerprint_ignores_prose_but_not_code(tmp_path):
    for name in ["utils.py", "_course.py", *[p.name for p in spread.NOTEBOOKS]]:
        (tmp_path / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
    before = _course.code_fingerprint(tmp_path)
    path = tmp_path / spread.NOTEBOOKS[0].name
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.cell_type == "markdown").source += " More prose."
    nbformat.write(nb, path)
    assert _course.code_fingerprint(tmp_path) == before
    next(c for c in nb.cells if c.cell_type == "code").source += "\nx = 1"
    nbformat.write(nb, path)
    assert _course.code_fingerprint(tmp_path) != before


def test_every_quantity_has_at_least_10_seeds():
    assert len(STORED["seeds"]) >= 10
    for name, runs in VALUES.items():
        seeds = [run for run in runs if run.isdigit()]
        assert len(seeds) >= 10, f"{name}: {len(seeds)} seeds"


def test_every_open_question_and_claim_is_stored():
    for name in ["MLP test accuracy", "softmax test accuracy", "concise test accuracy",
                 "scratch test accuracy", "try_mlp()", "try_mlp(hiddens=(1024,))",
                 "try_mlp(hiddens=(256, 256))", "try_mlp(activation='sigmoid')",
                 "try_mlp(init_std=1.0)", "try_mlp(lr=0.01)", "try_mlp(lr=1.0)"]:
        assert name in VALUES, name


def test_readme_checks_table_is_generated_from_the_spread_file():
    readme = (ROOT / "README.md").read_text()
    table = readme.split(spread.BEGIN)[1].split(spread.END)[0].strip()
    assert table == spread.readme_table(STORED).strip(), (
        "README's Checks table differs from notebooks/spread.json: "
        "run `python tools/spread.py --readme`")


def stored_verdicts():
    for path in spread.NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                text = out.get("data", {}).get("text/markdown", "")
                if " seeds" in text and " − " in text:
                    yield path.name, text


def test_notebook_verdicts_agree_with_the_spread_file():
    verdicts = list(stored_verdicts())
    assert len(verdicts) >= 8  # MLP vs softmax, concise vs scratch, 6+ open questions
    for notebook, text in verdicts:
        a, b = re.search(r"\*\* (.+?) − (.+?) over \d+ seeds", text).groups()
        seeds = sorted(set(VALUES[a]) & set(VALUES[b]))
        diffs = [100 * (VALUES[a][s] - VALUES[b][s]) for s in seeds]
        assert text.startswith(utils.verdict(diffs, a, b)), (
            f"{notebook}: its stored verdict is not what spread.json says now; re-run it")


def test_spread_resumes_without_redoing_finished_runs(monkeypatch, tmp_path):
    monkeypatch.setattr(spread, "CACHE", tmp_path)
    monkeypatch.setattr(spread, "ROOT", tmp_path)
    cache = tmp_path / _course.code_fingerprint()[:16]
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
