"""How the notebooks check what they claim: the checks' mechanics, run by the hidden cells.

1. Round-off: two float32 computations of one formula differ by a few units of u
   (``roundoff_units``); a different formula differs by millions.
2. Mechanism checks, exact to round-off, that catch a broken model, trainer or loader on
   any machine: ``affine_gap``, ``sgd_step_error``, ``settings_wrong``, ``data_mismatches``.
3. ``check(key, value)``: the registry's check ``key`` (course/registry.py) judges value
   against its limits, fixed or from the stored seeds, and returns a result that displays
   itself, or raises CheckError naming the check, the bug it catches and what to run.
4. Paired verdicts: ``compare`` plots a - b on every stored seed and returns a Verdict.
5. Speed: ``time_steps``.
"""

import collections
import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from course import data as course_data
from course import figures, registry, seeds, stats, training
from course.keras2 import tf
from course.registry import BASELINE, OPEN_QUESTIONS, ROUNDOFF_LIMIT  # noqa: F401
from course.stats import interval  # noqa: F401  (the exercises use it)


def _seed():
    import utils

    return utils.SEED


# -- 1. Round-off --------------------------------------------------------------------
@functools.cache  # the devices do not change while a kernel runs
def matmul_precision():
    """This device's float32 matmul precision: its name and its unit round-off u.

    float32 keeps 24 significant bits: one rounding moves a value by at most u = 2**-24
    (6e-8) of itself. NVIDIA GPUs since Ampere round matmul inputs to TF32: u = 2**-11.
    """
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability and capability >= (8, 0) and \
                tf.config.experimental.tensor_float_32_execution_enabled():
            return "TF32", 2.0 ** -11
    return "float32", 2.0 ** -24


def roundoff_units(a, b):
    """How far b is from a, relative to a's size, in units of u: ||a - b|| / ||a|| / u.

    a and b are tensors, or lists of tensors (all of a model's gradients, say).
    """
    a, b = ([np.asarray(t, np.float64) for t in (ts if isinstance(ts, (list, tuple)) else [ts])]
            for ts in (a, b))
    diff = math.sqrt(sum(np.sum((x - y) ** 2) for x, y in zip(a, b, strict=True)))
    size = math.sqrt(sum(np.sum(x ** 2) for x in a))
    return diff / size / matmul_precision()[1]


# -- 2. Mechanism checks ----------------------------------------------------------------
def affine_gap(model, X):
    """How far model is from an affine map f, in u: f of the midpoint of two images
    against the mean of f of each, over pairs of images. An affine map gives round-off
    (a few u); a ReLU network gives millions. Catches a nonlinearity left out."""
    X1, X2 = X[0::2], X[1::2]
    return roundoff_units((model(X1) + model(X2)) / 2, model((X1 + X2) / 2))


def at_relu_kink(model, X):
    """True if a hidden unit of the scratch model is exactly at ReLU's kink on a batch: a
    pre-activation of exactly 0. There tf.math.maximum(x, 0) passes the gradient (slope 1)
    and Keras's relu does not (slope 0), two valid subgradients: the gradients of the two
    versions then differ by far more than round-off, for a reason that is no bug. 02 asks
    only on a step whose gradients differ beyond round-off: such a step is excused, and
    counted (registry: relu_kinks), only if this holds."""
    H = tf.matmul(tf.reshape(X, (-1, model.num_inputs)), model.W1) + model.b1
    return bool(tf.reduce_any(H == 0))


def sgd_step_error(trainer, batch):
    """One step of trainer on batch, compiled as its epochs are, against w - lr * dL/dw
    computed here, in u of the weights. The weights are put back afterwards. Catches a
    wrong or rescaled update."""
    model = trainer.model
    before = [v.numpy() for v in model.trainable_variables]
    with tf.GradientTape() as tape:
        loss = model.loss(model(batch[0]), batch[1])
    grads = tape.gradient(loss, model.trainable_variables)
    lr = registry.HYPERPARAMETERS["lr"]
    training.compile_epoch(model, tf.data.Dataset.from_tensors(batch), trainer.train_step)()
    after = [v.numpy() for v in model.trainable_variables]
    for v, w in zip(model.trainable_variables, before):
        v.assign(w)
    expected = [w.astype(np.float64) - lr * g.numpy() for w, g in zip(before, grads)]
    return roundoff_units(expected, after)




def settings_wrong(model, data, trainer):
    """The hyperparameters a training used that are not the slide's, and its step count if
    it skipped any (max_epochs x 235 batches of 60,000 images), in words."""
    hp = registry.HYPERPARAMETERS
    used = {"num_hiddens": model.num_hiddens, "batch_size": data.batch_size,
            "lr": round(float(trainer.optim.learning_rate), 7), "max_epochs": trainer.max_epochs,
            "steps": trainer.train_batch_idx}
    wanted = {**hp, "steps": hp["max_epochs"] * math.ceil(registry.TRAIN_IMAGES /
                                                           data.batch_size)}
    return [f"trained with {key} = {used[key]} (the slide: {wanted[key]})" for key in wanted
            if used[key] != wanted[key]]


def _pairs(images, labels):
    """Each (image, label) as one row of 785 bytes."""
    images = np.asarray(images).reshape(len(labels), -1)
    return np.concatenate([images, np.asarray(labels).reshape(-1, 1)], 1).astype(np.uint8)


def _loader_pairs(loader):
    """What one pass of a loader yields, as pixel bytes 0-255 and labels (None: its images
    are not the file's pixels / 255). Batch by batch, in float32, so no epoch-sized float copy."""
    rows = [np.zeros((0, 785), np.uint8)]
    for X, y in loader:
        X = X.numpy().reshape(len(y), -1) * np.float32(255)
        pixels = np.rint(X)
        if np.any(np.abs(X - pixels) > 1e-3 + 1e-5 * np.abs(pixels)) or \
                X.min(initial=0) < 0 or X.max(initial=0) > 255:
            return None  # as np.allclose(X, np.round(X), atol=1e-3) would say
        rows.append(_pairs(pixels, y.numpy()))
    return np.concatenate(rows)


def data_mismatches(loader, train):
    """How many (image, label) pairs one pass of loader (an epoch) yields that the verified
    file does not hold, plus the file's pairs it leaves out (each counted once an epoch).
    The test loader must also keep the file's order."""
    expected = _pairs(*course_data.read_fashion_mnist(train))
    seen = _loader_pairs(loader)
    if seen is None:
        return len(expected)
    if not train:  # the test set, in the file's order
        if len(seen) != len(expected):
            return abs(len(seen) - len(expected)) + min(len(seen), len(expected))
        return int(np.sum(np.any(seen != expected, axis=1)))
    as_rows = lambda pairs: np.sort(pairs.view(np.dtype((np.void, 785))).ravel())
    if len(seen) == len(expected) and np.array_equal(as_rows(seen), as_rows(expected)):
        return 0  # the same pairs, each as often: the count below would be 0
    a = collections.Counter(map(bytes, seen))
    b = collections.Counter(map(bytes, expected))
    return sum(((a - b) + (b - a)).values())


def table_mismatches(table, expected):
    """How many of a printed table's cells differ from the values measured for them:
    expected is {(row, column): value}."""
    return sum(not math.isclose(float(table.loc[row, col]), value, rel_tol=1e-9)
               for (row, col), value in expected.items())


def speed_table_errors(table):
    """How many entries of a time_steps table do not follow from its timings: each median
    between its min and max, s/epoch = 235 x ms/step, the speed-up against the first row."""
    ms, first = table["ms/step"], table["ms/step"].iloc[0]
    wrong = (table["min"] > ms) | (ms > table["max"])
    wrong |= (table["s/epoch"] - 235 * ms / 1000).abs() > 0.01
    wrong |= (table["speed-up"] - first / ms).abs() > 0.01 + 0.01 * first / ms  # rounding
    return int(wrong.sum())


def summary_mismatches(name, printed):
    """How many of (mean, lowest, highest, how many) differ from spread.json's plain seeds
    of quantity `name`, read from the file itself."""
    import json

    rows = json.loads(seeds.SPREAD_FILE.read_text(encoding="utf-8"))["rows"]
    values = [r["value"] for r in rows if r["quantity"] == name and r["run"].isdigit()]
    truth = (sum(values) / len(values), min(values), max(values), len(values))
    return sum(not math.isclose(a, b, rel_tol=1e-9) for a, b in zip(printed, truth))


# -- 3. Checks, from the registry ------------------------------------------------------
class CheckError(AssertionError):
    """A check failed: the message names it, the bug it catches, and what to do."""


@dataclass
class Result:
    """One measured quantity of this run: its name (in words) and its value."""
    name: str
    value: float


@dataclass
class Checked:
    """A check's outcome: a value that displays itself (and raises when it failed)."""
    key: str
    value: float
    low: float
    high: float
    judged: bool = True  # False while `make spread` measures the limits themselves

    @property
    def check(self):
        return registry.CHECKS[self.key]

    @property
    def passed(self):
        return not self.judged or self.low <= self.value <= self.high

    def __str__(self):
        if not self.judged:
            where = "recorded for `make spread`"
        elif math.isinf(self.low) or math.isinf(self.high):
            where = (f"at most {self.high:.4g}" if math.isinf(self.low) else
                     f"at least {self.low:.4g}")
        else:
            where = f"within [{self.low:.4g}, {self.high:.4g}]"
        return f"{'✔' if self.passed else '✘'} {self.check.name}: {self.value:.4g}, {where}"

    def _repr_markdown_(self):
        return str(self)


def measure(name, value):
    """Record one measurement of this run under an explicit name (`make spread` stores it
    for every seed, and `compare` finds the stored seeds by that name)."""
    seeds.record(name, value)
    return Result(name, float(value))


def spread_limits(key, stored=None):
    """Where a new seed's value of check `key` lies, but for a FALSE_ALARM chance shared by
    every outcome check: a normal prediction interval from the stored seeds (Bonferroni)."""
    values = seeds.seed_values(stored or seeds.load_spread(), key)
    if len(values) < 2:
        raise CheckError(f"{registry.CHECKS[key].name}: spread.json holds {len(values)} "
                         "stored seeds of it, and its limits need them: run `make spread`.")
    return stats.prediction_limits(values, registry.FALSE_ALARM / len(registry.OUTCOME_CHECKS))


def check(key, value, detail=""):
    """Judge value by the registry's check `key`; raise CheckError naming it if it fails."""
    entry = registry.CHECKS[key]
    seeds.record(key, value)
    if entry.spread and seeds.recording():  # `make spread` measures these very limits
        return Checked(key, float(value), -math.inf, math.inf, judged=False)
    low, high = spread_limits(key) if entry.spread else (entry.low, entry.high)
    result = Checked(key, float(value), low, high)
    if not result.passed:
        todo = ("A new seed lands there with chance below 1 in 1,000: look for a bug, or run "
                "`make spread` if the change was meant." if entry.spread else
                "Look for it, in the code this check runs after.")
        raise CheckError(f"{entry.name}: {value:.4g} is outside [{low:.4g}, {high:.4g}]. "
                         f"It catches {entry.catches}. {detail + ' ' if detail else ''}{todo}")
    return result


def check_training(model, data, trainer):
    """The slide's hyperparameters, and every step taken (registry check "settings")."""
    wrong = settings_wrong(model, data, trainer)
    return check("settings", len(wrong), "; ".join(wrong) + (
        ". Set it back, or change the Hyperparameters slide and "
        "course/registry.HYPERPARAMETERS, then `make spread`." if wrong else ""))


def stored(name):
    """The stored seeds' values of a quantity: (mean, lowest, highest, how many)."""
    values = seeds.seed_values(seeds.load_spread(), name)
    if not values:  # not measured yet
        return math.nan, math.nan, math.nan, 0
    return float(np.mean(values)), min(values), max(values), len(values)


# -- 4. Paired verdicts -------------------------------------------------------------------
def compare(a, b, family=None, scale=100, unit="points", claim=None):
    """Plot a - b (two Results) on every stored seed, with this run marked; return the
    Verdict. family: names of results judged together with a, each against b (Holm).
    claim=(low, high): a range claimed for a - b; the verdict says how the seeds bear it out."""
    stored_seeds = seeds.load_spread()
    diffs, live = seeds.paired(stored_seeds, a.name, b.name, scale), scale * (a.value - b.value)
    summary = None
    if len(diffs) >= 2:
        mean, low, high, _ = stats.interval(diffs)
        summary = (diffs, mean, low, high)
    figures.show_strip(f"{a.name} − {b.name}", unit, live, _seed(), summary)
    if len(diffs) < 2:
        return stats.OneRun(a.name, live, unit)
    group = {q: seeds.paired(stored_seeds, q, b.name, scale) for q in family or []}
    return stats.Verdict(a.name, b.name, diffs, unit, group, live, _seed(), claim)


# -- 5. Speed ------------------------------------------------------------------------------
def time_steps(ways, new_model, batches, repeats=3):
    """How fast each way trains a model on the same batches, in ms per step: the median and
    range of `repeats` timed passes over batches (held in memory), after one untimed warm-up
    batch (the tracing), scaled to an epoch of 235 steps. way(model) returns a function that trains
    model on batches; each way trains its own fresh model."""
    import pandas as pd

    # The batches are read once, then held in memory, and tf.data's graph rewrites are off
    # (nothing to optimise in memory): reading 20 batches from the loader (its start, its
    # shuffle, its gathers) costs about half as much as 20 compiled steps here, which a
    # 20-step pass would pay on every pass, and the one-graph loop inside its timing.
    plain = tf.data.Options()
    plain.experimental_optimization.apply_default_optimizations = False
    batches = batches.cache().with_options(plain)
    for _ in batches:  # fills the cache
        pass
    rows = {}
    for name, way in ways.items():
        model = new_model()
        model(next(iter(batches))[0])  # the weights exist before any timing
        train, times = way(model), []
        train(batches.take(1))  # warm-up: traces the graph, if any
        for _ in range(repeats):
            start = time.perf_counter()
            train(batches)
            times.append(1000 * (time.perf_counter() - start) / len(batches))
        rows[name] = {"ms/step": np.median(times), "min": min(times), "max": max(times)}
    table = pd.DataFrame(rows).T
    table["s/epoch"] = 235 * table["ms/step"] / 1000
    table["speed-up"] = table["ms/step"].iloc[0] / table["ms/step"]
    return table.round(2)


