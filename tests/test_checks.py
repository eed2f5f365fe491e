"""Unit tests for course/checks.py, registry.py, seeds.py and stats.py: round-off, the
mechanism checks (each catches its bug), the registry's limits, the recorder, the paired
verdicts (values, not text) and Holm's correction."""
import json

import numpy as np
import pytest
import scipy.stats
import utils
from course import checks, registry, seeds, stats

tf = utils.tf


def test_matmul_precision_is_float32_without_a_tf32_gpu():
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible: its precision depends on the GPU")
    assert checks.matmul_precision() == ("float32", 2.0 ** -24)


def test_roundoff_units_measures_relative_difference_in_units_of_u():
    u = checks.matmul_precision()[1]
    a = [np.full(100, 2.0), np.full(100, 2.0)]
    b = [a[0] * (1 + 4 * u), a[1]]
    assert checks.roundoff_units(a, b) == pytest.approx(4 / np.sqrt(2), rel=1e-6)
    assert checks.roundoff_units(np.ones(3), np.ones(3)) == 0.0


def test_roundoff_limit_separates_another_summation_order_from_another_model():
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
    X = tf.random.uniform((32, 28, 28, 1))
    one_by_one = tf.concat([model(X[i:i + 1]) for i in range(32)], axis=0)
    nudged = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
    for mine, theirs in zip(nudged.trainable_variables, model.trainable_variables, strict=True):
        mine.assign(theirs * (1 + 1e-4))  # a model 0.01 % off
    assert checks.roundoff_units(model(X), one_by_one) <= checks.ROUNDOFF_LIMIT
    assert checks.roundoff_units(model(X), nudged(X)) > checks.ROUNDOFF_LIMIT


class Linear(utils.MLPScratch):
    """The MLP with its ReLU left out: one affine map."""

    def forward(self, X):
        X = tf.reshape(X, (-1, self.num_inputs))
        return tf.matmul(tf.matmul(X, self.W1) + self.b1, self.W2) + self.b2


def test_affine_gap_is_roundoff_for_a_linear_model_and_large_for_a_relu_mlp():
    utils.set_seed()
    X = tf.random.uniform((64, 28, 28, 1))
    mlp = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1, sigma=0.1)
    linear = Linear(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1, sigma=0.1)
    assert checks.affine_gap(linear, X) <= checks.ROUNDOFF_LIMIT
    assert checks.affine_gap(mlp, X) > 1000 * checks.ROUNDOFF_LIMIT


@pytest.fixture(scope="module")
def trained():
    """An MLP and its trainer after one short fit on a slice of the data."""
    data = utils.FashionMNIST(batch_size=256)
    data.train = (data.train[0][:2560], data.train[1][:2560])  # 10 steps
    utils.set_seed()
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
    model.board.display = False
    trainer = utils.Trainer(max_epochs=1)
    trainer.fit(model, data)
    return data, model, trainer


def test_sgd_step_error_is_roundoff_for_the_trainer_and_puts_the_weights_back(trained):
    data, model, trainer = trained
    before = [v.numpy() for v in model.trainable_variables]
    batch = next(iter(data.train_dataloader()))
    assert checks.sgd_step_error(trainer, batch) <= checks.ROUNDOFF_LIMIT
    after = [v.numpy() for v in model.trainable_variables]
    assert all(np.array_equal(a, w) for a, w in zip(after, before, strict=True))


def test_sgd_step_error_catches_an_update_a_third_of_its_size(trained, monkeypatch):
    data, model, trainer = trained
    batch = next(iter(data.train_dataloader()))
    third = tf.keras.optimizers.SGD(registry.HYPERPARAMETERS["lr"] / 3)
    monkeypatch.setattr(trainer, "optim", third)
    assert checks.sgd_step_error(trainer, batch) > 100 * checks.ROUNDOFF_LIMIT


def test_check_training_names_the_setting_that_differs_from_the_slide(trained):
    data, model, trainer = trained
    with pytest.raises(checks.CheckError) as err:
        checks.check_training(model, data, trainer)  # 10 steps, not 2,350; 1 epoch, not 10
    assert registry.CHECKS["settings"].name in str(err.value)
    assert "max_epochs = 1 (the slide: 10)" in str(err.value)
    assert "steps = 10 (the slide: 2350)" in str(err.value)
    assert "lr =" not in str(err.value)  # the one setting that is right


def test_a_check_reads_its_limits_from_the_registry_and_names_what_it_catches():
    entry = registry.CHECKS["relu_kinks"]
    assert checks.check("relu_kinks", entry.high).passed
    with pytest.raises(checks.CheckError) as err:
        checks.check("relu_kinks", entry.high + 1)
    assert str(err.value).startswith(f"{entry.name}: {entry.high + 1:.4g} is outside")
    assert entry.catches in str(err.value)


def test_a_passed_check_is_a_value_that_displays_itself():
    result = checks.check("fresh_batches", 0)
    assert (result.key, result.value, result.passed) == ("fresh_batches", 0.0, True)
    assert str(result).startswith("✔ our loader")


def test_every_registry_check_has_a_name_a_bug_and_a_limit():
    names = [entry.name for entry in registry.CHECKS.values()]
    assert len(set(names)) == len(names)
    for key, entry in registry.CHECKS.items():
        assert entry.name and entry.catches, key
        assert entry.spread or entry.limits_text(), key


def test_the_recorder_is_configured_once_and_records_each_check_and_measure(
        tmp_path, monkeypatch):
    monkeypatch.setattr(seeds, "RECORDER", None)
    checks.measure("not recorded", 1.0)  # no recorder: nothing written anywhere
    seeds.record_to(tmp_path / "record.jsonl")
    checks.check("relu_kinks", 2)
    assert checks.measure("1024 hidden units", 0.8158) == checks.Result("1024 hidden units",
                                                                         0.8158)
    rows = [json.loads(line) for line in (tmp_path / "record.jsonl").read_text().splitlines()]
    assert rows == [{"quantity": "relu_kinks", "value": 2.0},
                    {"quantity": "1024 hidden units", "value": 0.8158}]


def test_while_recording_a_check_from_the_seeds_records_without_judging(tmp_path, monkeypatch):
    monkeypatch.setattr(seeds, "RECORDER", None)
    seeds.record_to(tmp_path / "record.jsonl")
    result = checks.check("mlp_accuracy", 0.1)  # far outside the stored seeds' limits
    assert not result.judged and result.passed


def test_interval_is_students_t_from_the_published_table():
    d = np.arange(1.0, 11.0)  # 10 paired differences: t quantile 2.262 at 9 degrees of freedom
    mean, low, high, _ = stats.interval(d)
    se = d.std(ddof=1) / np.sqrt(10)
    assert (mean, (high - mean) / se, (mean - low) / se) == (
        5.5, pytest.approx(2.262, abs=1e-3), pytest.approx(2.262, abs=1e-3))


def test_interval_p_value_is_the_paired_t_tests():
    d = np.array([0.3, -0.1, 0.5, 0.2, 0.4, 0.0, 0.6, 0.1])
    assert stats.interval(d)[3] == pytest.approx(scipy.stats.ttest_1samp(d, 0).pvalue,
                                                 rel=1e-12)


def test_prediction_limits_use_the_t_quantile_from_the_published_table():
    v = np.arange(1.0, 11.0)
    low, high = stats.prediction_limits(v, 0.001)  # t at 0.9995, 9 degrees of freedom: 4.781
    assert (high - v.mean()) / (v.std(ddof=1) * np.sqrt(1.1)) == pytest.approx(4.781, abs=1e-3)
    assert v.mean() - low == pytest.approx(high - v.mean())


def write_spread(path, values):
    rows = [{"run": str(seed), "quantity": name, "value": value}
            for name, by_seed in values.items() for seed, value in by_seed.items()]
    path.write_text(json.dumps({"rows": rows}))
    return path


def test_spread_limits_are_a_prediction_interval_sharing_the_false_alarm_rate(
        tmp_path, monkeypatch):
    monkeypatch.setattr(seeds, "RECORDER", None)
    rng = np.random.default_rng(0)
    values = dict(enumerate(0.84 + 0.01 * rng.standard_normal(10)))
    monkeypatch.setenv("COURSE_SPREAD", str(write_spread(tmp_path / "s.json",
                                                        {"mlp_accuracy": values})))
    low, high = checks.spread_limits("mlp_accuracy")
    v = np.array(list(values.values()))
    alpha = registry.FALSE_ALARM / len(registry.OUTCOME_CHECKS)
    half = scipy.stats.t.ppf(1 - alpha / 2, 9) * v.std(ddof=1) * np.sqrt(1.1)
    assert (low, high) == (pytest.approx(v.mean() - half), pytest.approx(v.mean() + half))
    # what the rule promises: new draws from the same distribution cross it 1 in 1,000 / 5
    draws = 0.84 + 0.01 * rng.standard_normal(2_000_000)
    crossed = np.mean((draws < low) | (draws > high))
    assert crossed < 3 * alpha
    checks.check("mlp_accuracy", v.mean())
    with pytest.raises(checks.CheckError, match="chance below 1 in 1,000"):
        checks.check("mlp_accuracy", low - 0.001)


def test_a_check_not_in_the_registry_is_refused():
    with pytest.raises(KeyError):
        checks.check("not listed", 0.5)


def test_missing_spread_file_says_where_it_comes_from(tmp_path, monkeypatch):
    monkeypatch.setattr(seeds, "RECORDER", None)
    monkeypatch.setenv("COURSE_SPREAD", str(tmp_path / "nowhere.json"))
    with pytest.raises(FileNotFoundError, match="make spread"):
        checks.spread_limits("mlp_accuracy")


def test_interval_matches_student_t_for_10_differences():
    d = np.arange(10.0)  # mean 4.5, sd 3.0277
    mean, low, high, p = stats.interval(d)
    assert mean == 4.5
    assert high - mean == pytest.approx(2.262 * 3.02765 / np.sqrt(10), rel=1e-3)
    # t = 4.70 on 9 degrees of freedom; the closed form for odd degrees gives 0.00112001789
    assert p == pytest.approx(0.00112001789, abs=1e-9)


def test_holm_multiplies_the_smallest_p_by_the_family_size_and_keeps_the_order():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5]) == [0.5]


def test_one_rule_for_one_question_is_the_interval_excluding_0():
    rng = np.random.default_rng(1)
    for _ in range(200):
        d = rng.normal(rng.uniform(-1, 1), 1, size=5)
        mean, low, high, p = stats.interval(d)
        assert (stats.direction(mean, p) == "no clear difference") == (low <= 0 <= high)


def test_verdict_is_a_value_with_its_mean_interval_and_counts():
    v = stats.Verdict("MLP", "softmax", [1.1, 1.5, 2.0, 1.3, 0.0, 1.8])
    assert (v.direction, round(v.mean, 2), round(v.low, 2), round(v.high, 2)) == (
        "higher", 1.28, 0.54, 2.03)
    assert (v.higher_on, v.lower_on, v.rule) == (5, 0, "paired t-test")


def test_verdict_displays_itself_leading_with_the_mean_and_counting_ties():
    text = stats.Verdict("MLP", "softmax", [1.1, 1.5, 2.0, 1.3, 0.0, 1.8])._repr_markdown_()
    assert text.startswith("**MLP is higher than softmax: +1.28 points on average** "
                           "(95% interval +0.54 to +2.03, 6 seeds).")
    assert "Higher on 5, lower on 0, tied on 1" in text


def test_verdict_says_no_clear_difference_when_the_interval_holds_0():
    v = stats.Verdict("2 hidden layers", "256 units", [1.0, -1.2, 0.5, -0.4, 0.3])
    assert v.direction == "no clear difference"
    assert str(v).startswith("No clear difference between 2 hidden layers and 256 units")


def test_verdict_in_a_family_uses_holm_and_says_so():
    family = {"a": [-1.0, -2.5, -0.8, -3.0, 0.4, -2.2, 0.6, -1.9, -0.2, -0.3],  # p = 0.022
              **{q: [0.1, -0.1] * 5 for q in "bcdef"}}
    alone = stats.Verdict("a", "base", family["a"])
    together = stats.Verdict("a", "base", family["a"], family=family)
    assert alone.direction == "lower"
    assert together.direction == "no clear difference"
    assert together.rule == "Holm over 6 questions" and round(together.p, 3) == 0.134
    assert "Judged with the other 5 open questions (Holm): p = 0.134." in str(together)


def test_compare_plots_the_stored_seeds_and_this_run(tmp_path, monkeypatch):
    monkeypatch.setattr(seeds, "RECORDER", None)
    stored = {"a": {0: 0.80, 1: 0.82, 2: 0.81}, "b": {0: 0.78, 1: 0.80, 2: 0.795}}
    monkeypatch.setenv("COURSE_SPREAD", str(write_spread(tmp_path / "s.json", stored)))
    shown = []
    monkeypatch.setattr(checks.figures, "show", lambda fig, alt: shown.append(fig))
    v = checks.compare(checks.Result("a", 0.81), checks.Result("b", 0.80))
    assert (v.direction, round(v.mean, 2), round(v.live, 2)) == ("higher", 1.83, 1.0)
    assert "This run (seed" in str(v) and "+1.00 points" in str(v)
    labels = [t.get_text() for t in shown[0].axes[0].get_yticklabels()]
    assert labels == [f"this run (seed {utils.SEED})", "3 stored seeds", "mean, 95% interval"]
    claimed = checks.compare(checks.Result("a", 0.81), checks.Result("b", 0.80), claim=(1, 2))
    assert claimed.claim_holds
    assert str(claimed).endswith("The claim, 1–2 points: 2 of 3 seeds fall in it, and their "
                                 "mean is inside it.")
    new = checks.compare(checks.Result("64 units", 0.7), checks.Result("b", 0.80))
    assert new.direction is None
    assert "has no stored seeds: this one run (-10.00 points) is not a finding" in str(new)


def test_data_mismatches_is_0_for_the_course_loaders():
    data = utils.FashionMNIST(batch_size=256)
    assert checks.data_mismatches(data.train_dataloader(), train=True) == 0
    assert checks.data_mismatches(data.val_dataloader(), train=False) == 0


def test_data_mismatches_counts_labels_paired_with_other_images():
    data = utils.FashionMNIST(batch_size=1000)
    images, labels = data.train
    data.train = (images, np.roll(labels, 1))  # every label one image off
    assert checks.data_mismatches(data.train_dataloader(), train=True) > 100_000


def test_data_mismatches_counts_a_test_loader_out_of_the_file_order():
    data = utils.FashionMNIST(batch_size=1000)
    shuffled = data.val_dataloader().shuffle(10, seed=0)  # batches in another order
    assert checks.data_mismatches(shuffled, train=False) > 1000


def test_speed_table_errors_counts_entries_that_do_not_follow_from_the_timings():
    import pandas as pd

    table = pd.DataFrame({"ms/step": [20.0, 5.0], "min": [19.0, 4.9], "max": [21.0, 5.2]},
                         index=["eager", "graph"])
    table["s/epoch"] = 235 * table["ms/step"] / 1000
    table["speed-up"] = table["ms/step"].iloc[0] / table["ms/step"]
    assert checks.speed_table_errors(table.round(2)) == 0
    table["speed-up"] = table["ms/step"] / table["ms/step"].iloc[0]  # inverted
    assert checks.speed_table_errors(table.round(2)) == 1


def test_summary_mismatches_compares_with_the_file_itself():
    mean, low, high, n = checks.stored("mlp_accuracy")
    assert checks.summary_mismatches("mlp_accuracy", (mean, low, high, n)) == 0
    assert checks.summary_mismatches("mlp_accuracy", (mean, high, low, n)) == 2


def test_each_check_name_is_written_only_in_the_registry():
    """So renaming a check there renames it in the cells, the README, mutants and tests."""
    from conftest import ROOT

    sources = [p for p in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("notebooks/**/*.py"),
                           *ROOT.glob("tools/*.py"), *ROOT.glob("tests/*.py")]
               if p.name != "registry.py"]
    import nbformat

    text = "\n".join(
        "\n".join(c.source for c in nbformat.read(p, as_version=4).cells)
        if p.suffix == ".ipynb" else p.read_text(encoding="utf-8") for p in sources)
    for key, entry in registry.CHECKS.items():
        assert entry.name not in text.replace(f'"{key}"', ""), (key, entry.name)
