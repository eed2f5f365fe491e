"""How the notebooks check what they claim. Open it when you are curious; the lecture
needs only the names.

1. Round-off: two float32 computations of one formula differ by a few units of u
   (``roundoff_units``); a different formula differs by millions.
2. Mechanism checks, exact to round-off, that catch a broken model or trainer on any
   machine: ``affine_gap`` (is the MLP more than one affine map?), ``sgd_step_error``
   (does a step move each weight by -lr x its gradient?), ``check_training`` (the
   slide's hyperparameters, and every step taken).
3. Outcome checks against the stored seeds (``spread.json``, ``make spread``): ``check``
   with limits that a new seed crosses with a stated probability (``FALSE_ALARM``).
4. Paired verdicts: ``compare`` plots a - b on every stored seed and says what the
   mean and its 95 % interval support (Holm-corrected within a family of questions).
5. Speed: ``time_steps``.
"""

import functools
import math
import time
from typing import NamedTuple

import _base
import _course
import _figures
import claims
import numpy as np
import utils
from utils import tf

plt = utils.d2l.plt


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


ROUNDOFF_LIMIT = 32  # u: the most two orders of one formula may differ (README: measured)


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
    versions then differ by far more than round-off, for a reason that is no bug."""
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
    lr = claims.HYPERPARAMETERS["lr"]
    _course.compile_epoch(model, tf.data.Dataset.from_tensors(batch), trainer.train_step)()
    after = [v.numpy() for v in model.trainable_variables]
    for v, w in zip(model.trainable_variables, before):
        v.assign(w)
    expected = [w.astype(np.float64) - lr * g.numpy() for w, g in zip(before, grads)]
    return roundoff_units(expected, after)


def check_training(model, data, trainer):
    """The hyperparameters the training used are the slide's, and it took every step:
    max_epochs x 235 batches of 60,000 images. Catches a changed setting or a skipped batch."""
    used = {"num_hiddens": model.num_hiddens, "batch_size": data.batch_size,
            "lr": round(float(trainer.optim.learning_rate), 7), "max_epochs": trainer.max_epochs,
            "steps": trainer.train_batch_idx}
    wanted = {**claims.HYPERPARAMETERS,
              "steps": claims.HYPERPARAMETERS["max_epochs"] * math.ceil(60_000 / data.batch_size)}
    wrong = [f"{key} = {used[key]} (the slide: {wanted[key]})" for key in wanted
             if used[key] != wanted[key]]
    assert not wrong, ("trained with " + ", ".join(wrong) + ". Set it back, or change the "
                       "Hyperparameters slide and claims.HYPERPARAMETERS, then `make spread`.")


# -- 3. Outcome checks against the stored seeds -------------------------------------------
class Result(NamedTuple):
    """One measured quantity of this run: its name (in words) and its value."""
    name: str
    value: float


def measure(name, value):
    """Record one measurement of this run under an explicit name (`make spread` stores it
    for every seed, and `compare` finds the stored seeds by that name)."""
    _base.record(name, float(value), utils.SEED)
    return Result(name, float(value))


FALSE_ALARM = 0.001  # the chance that a correct course fails a notebook run's outcome checks


def t_cdf(x, df):
    """Student's t distribution function (numerical integral of its density)."""
    grid = np.linspace(0, abs(x), 20_001)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    density = np.exp(log_c - (df + 1) / 2 * np.log1p(grid ** 2 / df))
    area = np.sum((density[1:] + density[:-1]) / 2) * (grid[1] - grid[0])
    return 0.5 + math.copysign(area, x)


def t_quantile(p, df):
    """The x with t_cdf(x, df) = p, for p > 0.5 (bisection)."""
    low, high = 0.0, 1e4
    for _ in range(80):
        low, high = ((low + high) / 2, high) if t_cdf((low + high) / 2, df) < p else (
            low, (low + high) / 2)
    return (low + high) / 2


def spread_limits(name, stored=None):
    """Where a new seed's value of `name` lies, but for a FALSE_ALARM chance shared by every
    outcome check: the stored mean +- t * sd * sqrt(1 + 1/n), the prediction interval of a
    normal sample of n seeds (Bonferroni over the outcome checks)."""
    if _base.measuring() and stored is None:  # `make spread` is measuring: no limits yet
        return -math.inf, math.inf
    stored = stored or _base.load_spread()
    values = np.array([v for run, v in stored[name].items() if run.isdigit()])
    n, alpha = len(values), FALSE_ALARM / len(claims.OUTCOME_CHECKS)
    half = t_quantile(1 - alpha / 2, n - 1) * values.std(ddof=1) * math.sqrt(1 + 1 / n)
    return values.mean() - half, values.mean() + half


def check(name, value, low=None, high=None):
    """Measure value, and fail (naming the check) unless low <= value <= high.

    Given no limits, the stored seeds' limits: spread_limits(name).
    """
    limits = "spread" if low is None and high is None else [low, high]
    if limits == "spread":
        assert name in claims.OUTCOME_CHECKS, f"{name}: list it in claims.OUTCOME_CHECKS"
        low, high = spread_limits(name)
    low, high = -math.inf if low is None else low, math.inf if high is None else high
    _base.record(name, float(value), utils.SEED, limits)
    assert low <= value <= high, (
        f"{name}: {value:.4g} is outside [{low:.4g}, {high:.4g}]. "
        + ("A new seed lands there with chance below 1 in 1,000: look for a bug, or run "
           "`make spread` if the change was meant." if limits == "spread" else ""))


# -- 4. Paired verdicts -------------------------------------------------------------------
def interval(differences):
    """The mean of paired differences, its 95 % interval (Student's t) and its p-value."""
    d = np.asarray(differences, float)
    n, mean, se = len(d), d.mean(), d.std(ddof=1) / math.sqrt(len(d))
    half = t_quantile(0.975, n - 1) * se
    p = 2 * (1 - t_cdf(abs(mean) / se, n - 1)) if se > 0 else float(mean == 0)
    return mean, mean - half, mean + half, p


def holm(p_values):
    """Holm's step-down adjustment of a family of p-values (same order as given)."""
    order, adjusted, running = np.argsort(p_values), [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def paired(stored, a, b, scale=100):
    """scale * (a - b) on each seed stored for both."""
    seeds = sorted(set(stored.get(a, {})) & set(stored.get(b, {})), key=str)
    return [scale * (stored[a][s] - stored[b][s]) for s in seeds if s.isdigit()]


def verdict(differences, a, b, unit="points", family=None):
    """What the paired differences a - b support, in words: the mean and its interval
    first, the count of seeds second. family: {name: its differences} of a family of
    questions (a among them) that are judged together, with Holm's correction."""
    mean, low, high, p = interval(differences)
    if family:
        names = list(family)
        p = holm([interval(family[q])[3] for q in names])[names.index(a)]
    clear = p < 0.05
    direction = "higher" if mean > 0 else "lower"
    head = (f"**{a} is {direction} than {b}: {mean:+.2f} {unit} on average**" if clear else
            f"**No clear difference between {a} and {b}**: {mean:+.2f} {unit} on average")
    up, down = sum(d > 0 for d in differences), sum(d < 0 for d in differences)
    ties = len(differences) - up - down
    text = (f"{head} (95% interval {low:+.2f} to {high:+.2f}, {len(differences)} seeds). "
            f"Higher on {up}, lower on {down}" + (f", tied on {ties}" if ties else "") +
            f"; from {min(differences):+.2f} to {max(differences):+.2f}.")
    if family:
        text += (f" Judged with the other {len(family) - 1} open questions (Holm): "
                 + (f"p = {p:.3f}." if p >= 0.001 else "p < 0.001."))
    return text


def compare(a, b, family=None, scale=100, unit="points", claim=None):
    """Plot a - b (two Results) on every stored seed, with this run marked; return the
    verdict. family: names of results judged together with a, each against b (Holm).
    claim=(low, high): a range claimed for a - b; the verdict says how the seeds bear it out."""
    from IPython.display import Markdown

    stored = {} if _base.measuring() else _base.load_spread()
    diffs, live = paired(stored, a.name, b.name, scale), scale * (a.value - b.value)
    fig, ax = plt.subplots(figsize=(7, 1.9), layout="constrained")
    ax.axvline(0, color=_figures.AXIS_GREY, lw=1)
    ax.plot([live], [0], "D", color=_figures.COLORS[1], ms=9)
    rows, summary = [f"this run (seed {utils.SEED})"], None
    if len(diffs) >= 2:  # the paired differences, and their mean with its 95 % interval
        mean, low, high, _ = interval(diffs)
        ax.plot(diffs, 1 + np.linspace(-0.2, 0.2, len(diffs)), "o", color=_figures.COLORS[0],
                alpha=0.7)
        ax.errorbar([mean], [2], xerr=[[mean - low], [high - mean]], fmt="s",
                    color=_figures.COLORS[0], capsize=6)
        rows += [f"{len(diffs)} stored seeds", "mean, 95% interval"]
        summary = (diffs, mean, low, high)
    name = f"{a.name} − {b.name}"
    ax.set(yticks=range(len(rows)), yticklabels=rows, ylim=(-0.6, len(rows) - 0.4),
           xlabel=f"{name} ({unit})")
    ax.invert_yaxis()
    _figures.show(fig, _figures.strip_alt(name, unit, live, utils.SEED, summary))
    if len(diffs) < 2:
        return Markdown(f"*{a.name}* has no stored seeds: this one run ({live:+.2f} {unit}) "
                        "is not a finding. `make spread` measures every setting on 10 seeds.")
    group = family and {q: paired(stored, q, b.name, scale) for q in family}
    text = verdict(diffs, a.name, b.name, unit, group) + (
        f" This run (seed {utils.SEED}): {live:+.2f} {unit}.")
    if claim:
        low, high = claim
        where = "inside" if low <= np.mean(diffs) <= high else "**outside**"
        text += (f" The claim, {low}–{high} {unit}: {sum(low <= d <= high for d in diffs)} of "
                 f"{len(diffs)} seeds fall in it, and their mean is {where} it.")
    return Markdown(text)


# -- 5. Speed ------------------------------------------------------------------------------
def time_steps(ways, new_model, batches, repeats=3):
    """How fast each way trains a model on the same batches, in ms per step: the median and
    range of `repeats` timed passes over batches, after one untimed warm-up batch (the
    tracing), scaled to an epoch of 235 steps. way(model) returns a function that trains
    model on batches; each way trains its own fresh model."""
    import pandas as pd

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


def stored(name):
    """The stored seeds' values of a quantity: (mean, lowest, highest, how many)."""
    values = [v for run, v in _base.load_spread().get(name, {}).items() if run.isdigit()]
    if not values:  # not measured yet (or while `make spread` measures it)
        return math.nan, math.nan, math.nan, 0
    return float(np.mean(values)), min(values), max(values), len(values)
