"""Unit tests for notebooks/checks.py: round-off, the mechanism checks (each catches its bug),
the limits from the stored seeds, the paired verdicts and Holm's correction."""
import json

import checks
import claims
import numpy as np
import pytest
import utils

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
    third = tf.keras.optimizers.SGD(claims.HYPERPARAMETERS["lr"] / 3)
    monkeypatch.setattr(trainer, "optim", third)
    assert checks.sgd_step_error(trainer, batch) > 100 * checks.ROUNDOFF_LIMIT


def test_check_training_names_the_setting_that_differs_from_the_slide(trained):
    data, model, trainer = trained
    with pytest.raises(AssertionError) as err:
        checks.check_training(model, data, trainer)  # 10 steps, not 2,350; 1 epoch, not 10
    assert "max_epochs = 1 (the slide: 10)" in str(err.value)
    assert "steps = 10 (the slide: 2350)" in str(err.value)
    assert "lr" not in str(err.value)  # the one setting that is right


def test_check_records_the_value_and_fails_outside_its_limits(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("COURSE_RECORD", str(record))
    checks.check("inside", 0.85, low=0.83)
    with pytest.raises(AssertionError, match="outside: 0.82 is outside"):
        checks.check("outside", 0.82, low=0.83)
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(r["quantity"], r["value"], r["limits"]) for r in rows] == [
        ("inside", 0.85, [0.83, None]), ("outside", 0.82, [0.83, None])]


def test_measure_stores_under_the_name_given(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("COURSE_RECORD", str(record))
    assert checks.measure("1024 hidden units", 0.8158) == ("1024 hidden units", 0.8158)
    assert json.loads(record.read_text())["quantity"] == "1024 hidden units"


def test_t_quantiles_match_the_published_table():
    assert checks.t_quantile(0.975, 9) == pytest.approx(2.262, abs=1e-3)
    assert checks.t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    assert checks.t_quantile(0.9995, 9) == pytest.approx(4.781, abs=1e-3)
    assert checks.t_cdf(2.262157, 9) == pytest.approx(0.975, abs=1e-6)


def write_spread(path, values):
    rows = [{"run": str(seed), "quantity": name, "value": value, "limits": None}
            for name, by_seed in values.items() for seed, value in by_seed.items()]
    path.write_text(json.dumps({"rows": rows}))
    return path


def test_spread_limits_are_a_prediction_interval_sharing_the_false_alarm_rate(
        tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    rng = np.random.default_rng(0)
    values = dict(enumerate(0.84 + 0.01 * rng.standard_normal(10)))
    monkeypatch.setenv("COURSE_SPREAD", str(write_spread(tmp_path / "s.json",
                                                        {"MLP test accuracy": values})))
    low, high = checks.spread_limits("MLP test accuracy")
    v = np.array(list(values.values()))
    alpha = checks.FALSE_ALARM / len(claims.OUTCOME_CHECKS)
    half = checks.t_quantile(1 - alpha / 2, 9) * v.std(ddof=1) * np.sqrt(1.1)
    assert (low, high) == (pytest.approx(v.mean() - half), pytest.approx(v.mean() + half))
    # what the rule promises: new draws from the same distribution cross it 1 in 1,000 / 5
    draws = 0.84 + 0.01 * rng.standard_normal(2_000_000)
    crossed = np.mean((draws < low) | (draws > high))
    assert crossed < 3 * alpha
    checks.check("MLP test accuracy", v.mean())
    with pytest.raises(AssertionError, match="chance below 1 in 1,000"):
        checks.check("MLP test accuracy", low - 0.001)


def test_a_limit_from_the_seeds_must_be_listed_among_the_outcome_checks(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    with pytest.raises(AssertionError, match="claims.OUTCOME_CHECKS"):
        checks.check("not listed", 0.5)


def test_missing_spread_file_says_where_it_comes_from(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    monkeypatch.setenv("COURSE_SPREAD", str(tmp_path / "nowhere.json"))
    with pytest.raises(FileNotFoundError, match="make spread"):
        checks.spread_limits("MLP test accuracy")


def test_interval_matches_student_t_for_10_differences():
    d = np.arange(10.0)  # mean 4.5, sd 3.0277
    mean, low, high, p = checks.interval(d)
    assert mean == 4.5
    assert high - mean == pytest.approx(2.262 * 3.02765 / np.sqrt(10), rel=1e-3)
    # t = 4.70 on 9 degrees of freedom; the closed form for odd degrees gives 0.00112001789
    assert p == pytest.approx(0.00112001789, abs=1e-9)


def test_holm_multiplies_the_smallest_p_by_the_family_size_and_keeps_the_order():
    assert checks.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert checks.holm([0.5]) == [0.5]


def test_verdict_leads_with_the_mean_and_its_interval_and_counts_ties():
    sentence = checks.verdict([1.1, 1.5, 2.0, 1.3, 0.0, 1.8], "MLP", "softmax")
    assert sentence.startswith("**MLP is higher than softmax: +1.28 points on average** "
                               "(95% interval +0.54 to +2.03, 6 seeds).")
    assert "Higher on 5, lower on 0, tied on 1" in sentence


def test_verdict_says_no_clear_difference_when_the_interval_holds_0():
    sentence = checks.verdict([1.0, -1.2, 0.5, -0.4, 0.3], "2 hidden layers", "256 units")
    assert sentence.startswith("**No clear difference between 2 hidden layers and 256 units**")


def test_verdict_in_a_family_uses_holm_and_says_so():
    family = {"a": [-1.0, -2.5, -0.8, -3.0, 0.4, -2.2, 0.6, -1.9, -0.2, -0.3],  # p = 0.022
              **{q: [0.1, -0.1] * 5 for q in "bcdef"}}
    alone = checks.verdict(family["a"], "a", "base")
    together = checks.verdict(family["a"], "a", "base", family=family)
    assert alone.startswith("**a is lower than base")
    assert together.startswith("**No clear difference between a and base**")
    assert "Judged with the other 5 open questions (Holm): p = 0.134." in together


def test_compare_plots_the_stored_seeds_and_this_run(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    stored = {"a": {0: 0.80, 1: 0.82, 2: 0.81}, "b": {0: 0.78, 1: 0.80, 2: 0.795}}
    monkeypatch.setenv("COURSE_SPREAD", str(write_spread(tmp_path / "s.json", stored)))
    shown = []
    monkeypatch.setattr(checks._figures, "show", lambda fig, alt: shown.append(fig))
    text = checks.compare(checks.Result("a", 0.81), checks.Result("b", 0.80)).data
    assert text.startswith("**a is higher than b: +1.83 points on average**")
    assert "This run (seed" in text and "+1.00 points" in text
    labels = [t.get_text() for t in shown[0].axes[0].get_yticklabels()]
    assert labels == [f"this run (seed {utils.SEED})", "3 stored seeds", "mean, 95% interval"]
    claimed = checks.compare(checks.Result("a", 0.81), checks.Result("b", 0.80),
                             claim=(1, 2)).data
    assert claimed.endswith("The claim, 1–2 points: 2 of 3 seeds fall in it, and their mean "
                            "is inside it.")
    new = checks.compare(checks.Result("64 units", 0.7), checks.Result("b", 0.80)).data
    assert "has no stored seeds: this one run (-10.00 points) is not a finding" in new
