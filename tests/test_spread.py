"""The stored seeds (notebooks/course/spread.json): enough of them, measured on the current
code, and the one source of the README's Checks table and of the notebooks' verdicts."""
import json
import re
import shutil

import claims
import fingerprint
import nbformat
import pytest
import spread
from conftest import ROOT
from course import registry, seeds, stats

STORED = json.loads(spread.SPREAD_FILE.read_text())
VALUES = seeds.load_spread(spread.SPREAD_FILE)


def test_spread_was_measured_on_the_current_code():
    assert STORED["code_fingerprint"] == fingerprint.code_fingerprint(), (
        "code that moves the notebooks' numbers (the model, data, trainer or evaluation in "
        "utils.py or course/training.py, or a lecture code cell) changed since "
        "notebooks/course/spread.json was measured: run `make spread` (it re-measures, "
        "then rewrites the README's table)")


def copy_of_the_code(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return tmp_path


def edit(path, old, new, regex=False):
    """Replace old (once at least) in a file, or in a notebook's cell sources."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        hits = 0
        for cell in nb.cells:
            hits += len(re.findall(old, cell.source)) if regex else cell.source.count(old)
            cell.source = re.sub(old, new, cell.source) if regex else cell.source.replace(old, new)
        nbformat.write(nb, path)
    else:
        text = path.read_text()
        hits = len(re.findall(old, text)) if regex else text.count(old)
        path.write_text(re.sub(old, new, text) if regex else text.replace(old, new))
    assert hits, f"{old!r} is not in {path.name}"


NB1, NB2 = "notebooks/01-mlp-scratch.ipynb", "notebooks/02-mlp-concise.ipynb"


@pytest.mark.parametrize("file, old, new", [
    (NB1, "## Training\n", "## Training, again\n"),  # slide prose
    ("notebooks/utils.py", '"""Exact accuracy', '"""The exact accuracy'),  # a docstring
    ("notebooks/utils.py", "  # batch b of an epoch", "  # the epoch's batch b"),  # the loader
    ("notebooks/course/stats.py", "holm", "holm_step_down"),  # a statistics function renamed
    (NB2, "checks.compare(", "checks.compare_paired("),  # ...and in the cells that call it
    ("notebooks/course/figures.py", '"#0072B2"', '"#1f77b4"'),  # a plot's colour
    ("notebooks/course/registry.py", 'Check("MLP test accuracy', 'Check("The MLP\'s accuracy'),
    (NB1, 'COURSE_REPO = "', 'COURSE_REPO = "https://example.org/x'),  # `make publish`
], ids=["prose", "docstring", "comment in the loader", "statistics renamed",
        "call renamed", "colour", "check renamed", "course address"])
def test_code_fingerprint_ignores_what_moves_no_number(tmp_path, file, old, new):
    root = copy_of_the_code(tmp_path)
    before = fingerprint.code_fingerprint(root)
    edit(root / file, old, new)
    assert fingerprint.code_fingerprint(root) == before


@pytest.mark.parametrize("file, old, new", [
    (NB1, r"lr=[0-9.]+\)\ntrainer = utils.Trainer", "lr=0.5)\ntrainer = utils.Trainer"),
    ("notebooks/utils.py", r"self.optim.apply_gradients\(zip\(grads,",
     "self.optim.apply_gradients(zip([g / 3 for g in grads],"),
    (NB1, r"H = relu\((.*)\)\n", r"H = \1\n"),
    ("notebooks/utils.py", r"tf.stack\(\[seed, 0\]\)", "tf.stack([seed, 1])"),
    ("notebooks/course/training.py", r"i \+= 1", "i += 2"),
    (NB2, r"try_mlp\(hiddens=\(1024,\)\)", "try_mlp(hiddens=(512,))"),
], ids=["learning rate", "optimizer", "ReLU", "data order", "compiled epoch",
        "open question's setting"])
def test_code_fingerprint_changes_with_any_change_to_what_is_measured(tmp_path, file, old, new):
    root = copy_of_the_code(tmp_path)
    before = fingerprint.code_fingerprint(root)
    edit(root / file, old, new, regex=True)
    assert fingerprint.code_fingerprint(root) != before


def test_every_quantity_has_at_least_10_seeds():
    assert len(STORED["seeds"]) >= 10
    for name, runs in VALUES.items():
        seeds = [run for run in runs if run.isdigit()]
        assert len(seeds) >= 10, f"{name}: {len(seeds)} seeds"


def test_every_open_question_and_claim_is_stored():
    names = [registry.BASELINE, *registry.OPEN_QUESTIONS, *registry.OUTCOME_CHECKS,
             *[c[2] for c in claims.CLAIMS], *[c[3] for c in claims.CLAIMS if c[3]]]
    for name in names:
        assert name in VALUES, name


def test_every_check_of_the_registry_has_its_stored_seeds():
    missing = [key for key in registry.CHECKS if len(seeds.seed_values(VALUES, key)) < 10]
    assert not missing, f"checks with no stored seeds: {missing}; run `make spread`"


def test_readme_checks_table_is_generated_from_the_registry_and_the_spread_file():
    readme = (ROOT / "README.md").read_text()
    table = readme.split(spread.BEGIN)[1].split(spread.END)[0].strip()
    assert table == spread.readme_table(STORED).strip(), (
        "README's Checks table differs from course/registry.py and spread.json: run "
        "`make readme`")


def test_other_numerics_are_measured_against_the_same_seeds_default_run():
    spread_ = {"sgd_step": {"0": 1.0, "1": 3.0, "0 avx2": 2.0, "1 avx2": 3.0,
                            "0 one-core": 1.0, "1 one-core": 3.0}}
    moves = spread.other_numerics(spread_, list(spread_["sgd_step"]))
    sd = 2 ** 0.5  # of the default runs, 1.0 and 3.0
    assert moves["avx2"] == (1 / sd, registry.CHECKS["sgd_step"].name, 1, 2)
    assert moves["one-core"] == (0.0, "", 2, 2)


def test_every_variant_of_the_spread_runs_is_stored():
    runs = {row["run"] for row in STORED["rows"]}
    missing = [f"{s} {v}" for v in spread.VARIANTS if v != "default"
               for s in spread.VARIANT_SEEDS if f"{s} {v}" not in runs]
    assert not missing, f"runs of other numerics not stored: {missing}; run `make spread`"


def test_cpu_name_tells_generations_with_one_model_name_apart(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\ncpu family\t: 25\nmodel\t\t: 1\n"
                       "model name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma\n")
    assert spread.cpu_name(cpuinfo) == "AMD EPYC (family 25, model 1), AVX2"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: ARMv8 Processor rev 0\n")
    assert spread.cpu_name(cpuinfo) == "ARMv8 Processor rev 0"  # no x86 flags to read


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
        family = ({q: seeds.paired(VALUES, q, b) for q in registry.OPEN_QUESTIONS}
                  if "(Holm)" in text else {})
        now = stats.Verdict(a, b, seeds.paired(VALUES, a, b), family=family)
        assert text.startswith(now._repr_markdown_()), (
            f"{notebook}: its stored verdict is not what spread.json says now; re-run it")


def test_spread_resumes_without_redoing_finished_runs(monkeypatch, tmp_path):
    monkeypatch.setattr(spread, "CACHE", tmp_path)
    monkeypatch.setattr(spread, "ROOT", tmp_path)
    cache = tmp_path / fingerprint.code_fingerprint()[:16]
    cache.mkdir()
    for seed in (0, 1):
        (cache / f"default-{seed}.jsonl").write_text(
            json.dumps({"quantity": "q", "value": 0.5 + seed}) + "\n")
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
