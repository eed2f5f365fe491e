"""The helpers both MLP notebooks call. Import it first: ``import utils``.

1. data: ``FashionMNIST``, d2l's data module with its loader fixed (shuffle, then batch);
2. models and training: ``MLPScratch`` (notebook 01's model), ``Trainer`` (d2l's, compiled);
3. seeds and devices: ``SEED`` (from ``$COURSE_SEED``), ``set_seed``, ``runtime_report``;
4. measuring: ``evaluate``, ``roundoff_units``, ``check``, ``measure``, ``compare``.

The plumbing (environment guards, installs on Colab, data verification, the stored
spread file) lives in ``_course.py``; you need not read it. ``python utils.py``
fetches and verifies the data (that is what ``make data`` does).
"""

import functools
import importlib.metadata
import math
import os
import sys
import time
from typing import NamedTuple

import _course
import numpy as np
from _course import d2l, tf  # TensorFlow with Keras 2, checked; d2l after it

plt = d2l.plt


# -- 1. Data ------------------------------------------------------------------------
class FashionMNIST(d2l.FashionMNIST):
    """d2l's Fashion-MNIST module, with verified files and a fixed training loader.

    d2l 1.0.3's TensorFlow loader batches first and shuffles second, so the same
    256 images stay together in every epoch. This one shuffles the 60,000
    examples, then batches them: new batches every epoch. `seed` (default: the
    course's SEED) fixes that order, so models trained in one run see the same batches.
    """

    def __init__(self, batch_size=64, resize=(28, 28), seed=None):
        d2l.DataModule.__init__(self)
        self.save_hyperparameters()
        self.seed = SEED if seed is None else seed
        _course.prepare_fashion_mnist(quiet=True)
        self.train, self.val = tf.keras.datasets.fashion_mnist.load_data(
            cache_dir=str(_course.keras_home()))

    def get_dataloader(self, train):
        X, y = self.train if train else self.val
        X, y = tf.constant(X[..., None]), tf.constant(y, tf.int32)
        # Shuffle the examples' indices, then batch them: the same batches as shuffling
        # the examples themselves, twice as fast (tf.data moves ints, not images).
        data = tf.data.Dataset.range(len(X))
        if train:
            data = data.shuffle(len(X), seed=self.seed)  # shuffle examples...
        data = data.batch(self.batch_size)  # ...then batch
        data = data.map(lambda i: (tf.cast(tf.gather(X, i), tf.float32) / 255, tf.gather(y, i)))
        if tuple(self.resize) != (28, 28):
            data = data.map(lambda X, y: (tf.image.resize(X, self.resize), y))
        return data.prefetch(tf.data.AUTOTUNE)


# -- 2. Models and training -----------------------------------------------------------
class MLPScratch(d2l.Classifier):
    """Notebook 01's MLP in one class (01 builds it step by step), for notebook 02."""

    def __init__(self, num_inputs, num_outputs, num_hiddens, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W1 = tf.Variable(tf.random.normal((num_inputs, num_hiddens)) * sigma)
        self.b1 = tf.Variable(tf.zeros(num_hiddens))
        self.W2 = tf.Variable(tf.random.normal((num_hiddens, num_outputs)) * sigma)
        self.b2 = tf.Variable(tf.zeros(num_outputs))

    def forward(self, X):
        X = tf.reshape(X, (-1, self.num_inputs))
        H = tf.math.maximum(tf.matmul(X, self.W1) + self.b1, 0)
        return tf.matmul(H, self.W2) + self.b2


class Trainer(d2l.Trainer):
    """d2l's Trainer, with each step compiled by `tf.function` (about 4x faster on a CPU).

    Same interface (`Trainer(max_epochs=10).fit(model, data)`), same loop, same board:
    training loss twice an epoch, validation loss and accuracy once. Two changes: the
    step runs as one graph, not op by op; the board is drawn once an epoch (d2l's draws
    every curve again, on top of the old ones, at every point). `seconds`: how long
    the last fit took.
    """

    def fit(self, model, data):
        @tf.function(reduce_retracing=True)  # traced once per batch shape
        def train_step(X, y):
            with tf.GradientTape() as tape:
                loss = model.loss(model(X), y)
            grads = tape.gradient(loss, model.trainable_variables)
            self.optim.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        @tf.function(reduce_retracing=True)
        def val_step(X, y):
            logits = model(X)
            correct = tf.cast(tf.argmax(logits, axis=1, output_type=y.dtype) == y, tf.float32)
            return model.loss(logits, y), tf.reduce_mean(correct)  # d2l's loss and accuracy

        self.train_step, self.val_step = train_step, val_step
        self.show_board, model.board.display = model.board.display, False
        start = time.perf_counter()
        try:
            super().fit(model, data)  # d2l: set up, then fit_epoch() max_epochs times
        finally:
            model.board.display = self.show_board
        self.seconds = time.perf_counter() - start  # wall time of the whole fit

    def fit_epoch(self):
        self.model.training = True
        for X, y in self.train_dataloader:
            self.model.plot("loss", self.train_step(X, y), train=True)
            self.train_batch_idx += 1
        self.model.training = False
        for X, y in self.val_dataloader:
            loss, acc = self.val_step(X, y)
            self.model.plot("loss", loss, train=False)
            self.model.plot("acc", acc, train=False)
            self.val_batch_idx += 1
        if self.show_board:
            _course.draw_board(self.model.board)


# -- 3. Seeds and devices ------------------------------------------------------------
SEED = int(os.environ.get("COURSE_SEED", "0"))  # every seeded run; COURSE_SEED=3 picks another


def set_seed(seed=None):
    """Seed Python, NumPy and TensorFlow (default: SEED), so a run on the CPU repeats exactly."""
    tf.keras.utils.set_random_seed(SEED if seed is None else seed)


def device_name():
    """The device TensorFlow trains on here: 'GPU x1', or 'CPU (2 cores)'."""
    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU x{len(gpus)}" if gpus else f"CPU ({os.cpu_count()} cores)"


@functools.cache  # the devices do not change while a kernel runs
def matmul_precision():
    """This device's float32 matmul precision: its name and its unit round-off u.

    float32 keeps 24 significant bits, so one rounding moves a value by at most
    u = 2**-24 (6e-8) of itself. NVIDIA GPUs since Ampere (compute capability 8.0)
    round matmul inputs to TF32 by default: 11 bits, u = 2**-11 (4.9e-4).
    """
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability and capability >= (8, 0) and \
                tf.config.experimental.tensor_float_32_execution_enabled():
            return "TF32", 2.0 ** -11
    return "float32", 2.0 ** -24


def runtime_report():
    """One line: the device, its matmul precision, the seed and the library versions."""
    return (f"{device_name()}, {matmul_precision()[0]} | seed {SEED} | "
            f"Python {sys.version.split()[0]} | TensorFlow {tf.__version__} | "
            f"tf-keras {importlib.metadata.version('tf-keras')} | "
            f"d2l {importlib.metadata.version('d2l')}")


# -- 4. Measuring ---------------------------------------------------------------------
def evaluate(model, data, train=False):
    """Exact accuracy and mean cross-entropy over every test image (or training image).

    d2l's board shows the mean of per-batch accuracies instead; its last test
    batch holds only 16 images, so that mean is slightly off.
    """
    correct, loss_sum, n = 0, 0.0, 0
    for X, y in data.get_dataloader(train):
        logits = model(X)
        loss_sum += float(tf.reduce_sum(
            tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)))
        correct += int(tf.reduce_sum(tf.cast(tf.argmax(logits, 1, tf.int32) == y, tf.int32)))
        n += len(y)
    return correct / n, loss_sum / n


# Two computations of the same float32 formula may round differently (another
# kernel, thread count or summation order). We compare them in units of u.
ROUNDOFF_LIMIT = 32  # u; the spread file holds the differences measured (at most about 2 u)


def roundoff_units(a, b):
    """How far b is from a, relative to a's size, in units of u: ||a - b|| / ||a|| / u.

    a and b are tensors, or lists of tensors (all of a model's gradients, say).
    """
    a, b = ([np.asarray(t, np.float64) for t in (ts if isinstance(ts, (list, tuple)) else [ts])]
            for ts in (a, b))
    diff = math.sqrt(sum(np.sum((x - y) ** 2) for x, y in zip(a, b, strict=True)))
    size = math.sqrt(sum(np.sum(x ** 2) for x in a))
    return diff / size / matmul_precision()[1]


class Result(NamedTuple):
    """One measured quantity of this run: its name and its value."""
    name: str
    value: float


def measure(name, value):
    """Record one measurement of this run (`make spread` stores it for every seed)."""
    _course.record(name, float(value), SEED)
    return Result(name, float(value))


def run(function, **settings):
    """Call function(**settings) and measure its result, named after the call."""
    call = ", ".join(f"{key}={value!r}" for key, value in settings.items())
    return measure(f"{function.__name__}({call})", function(**settings))


SPREAD_SDS = 5  # the rule for check limits, in standard deviations (see spread_limits)


def spread_limits(name):
    """The rule for every limit that comes from the stored seeds: from the lowest stored
    value minus 5 standard deviations to the highest plus 5 standard deviations."""
    if _course.measuring():  # `make spread` is measuring these values: no limits yet
        return -math.inf, math.inf
    values = list(_course.load_spread()[name].values())
    sd = float(np.std(values, ddof=1))
    return min(values) - SPREAD_SDS * sd, max(values) + SPREAD_SDS * sd


def check(name, value, low=None, high=None):
    """Measure value, and fail (naming the check) unless low <= value <= high.

    Given no limits, it uses the stored seeds' limits: spread_limits(name).
    """
    limits = "spread" if low is None and high is None else [low, high]
    if limits == "spread":
        low, high = spread_limits(name)
    low, high = -math.inf if low is None else low, math.inf if high is None else high
    _course.record(name, float(value), SEED, limits)
    assert low <= value <= high, f"{name}: {value:.4g} is outside [{low:.4g}, {high:.4g}]"


# t quantiles (97.5 %) for a 95 % interval of a mean of n = df + 1 paired differences
_T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
         2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086]


def interval(differences):
    """The mean of paired differences and its 95 % interval (Student's t)."""
    d = np.asarray(differences, float)
    half = _T_975[min(len(d), len(_T_975) + 1) - 2] * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def verdict(differences, a, b, unit="points"):
    """One sentence: what the paired differences a - b over the seeds support."""
    n, mean, (_, low, high) = len(differences), np.mean(differences), interval(differences)
    higher = sum(d > 0 for d in differences)
    spread = (f"{a} − {b} over {n} seeds: {min(differences):+.2f} to "
              f"{max(differences):+.2f} {unit}, mean {mean:+.2f} "
              f"(95% interval {low:+.2f} to {high:+.2f})")
    if low <= 0 <= high:
        return f"**No clear difference.** {spread}; the interval holds 0."
    better, k = (a, higher) if mean > 0 else (b, n - higher)
    return f"**{better} is higher on {k} of {n} seeds.** {spread}."


def compare(a, b, scale=100, unit="points", claim=None):
    """Plot a - b (two Results) on every stored seed, with this run marked; return the verdict.

    `scale=100` shows accuracy differences in percentage points. `claim=(low, high)`: a
    range someone claimed for a - b; the verdict then says how the stored seeds bear it out.
    """
    from IPython.display import Markdown

    spread = {} if _course.measuring() else _course.load_spread()
    stored_a, stored_b = spread.get(a.name, {}), spread.get(b.name, {})
    seeds = sorted(set(stored_a) & set(stored_b))
    diffs = [scale * (stored_a[s] - stored_b[s]) for s in seeds]
    live = scale * (a.value - b.value)
    fig, ax = plt.subplots(figsize=(7, 1.9), layout="constrained")
    ax.axvline(0, color="0.6", lw=1)
    ax.plot([live], [0], "D", color="C3", ms=9)
    rows = [f"this run (seed {SEED})"]
    if len(diffs) >= 2:  # the paired differences, and their mean with its 95 % interval
        mean, low, high = interval(diffs)
        ax.plot(diffs, 1 + np.linspace(-0.2, 0.2, len(diffs)), "o", color="C0", alpha=0.7)
        ax.errorbar([mean], [2], xerr=[[mean - low], [high - mean]], fmt="s", color="C0",
                    capsize=6)
        rows += [f"{len(diffs)} stored seeds", "mean, 95% interval"]
    elif len(stored_b) >= 2:  # a is new: b's own seed-to-seed spread, around this run's b
        moves = [scale * (v - np.mean(list(stored_b.values()))) for v in stored_b.values()]
        ax.plot(moves, 1 + np.linspace(-0.2, 0.2, len(moves)), "o", color="0.5", alpha=0.7)
        rows += [f"{b.name}: seed to seed"]
    ax.set(yticks=range(len(rows)), yticklabels=rows, ylim=(-0.6, len(rows) - 0.4),
           xlabel=f"{a.name} − {b.name} ({unit})")
    ax.invert_yaxis()
    plt.show()
    if len(diffs) >= 2:
        text = verdict(diffs, a.name, b.name, unit)
        text += f" This run (seed {SEED}): {live:+.2f} {unit}."
        if claim:
            low, high = claim
            inside = sum(low <= d <= high for d in diffs)
            where = "inside" if low <= np.mean(diffs) <= high else "**outside**"
            text += (f" The claim, {low}–{high} {unit}: {inside} of {len(diffs)} seeds fall in "
                     f"it, and their mean is {where} it.")
        return Markdown(text)
    return Markdown(f"`{a.name}` has no stored seeds: this one run ({live:+.2f} {unit}) is "
                    "not a finding. The grey dots show how far the seed alone moves "
                    f"`{b.name}`. `make spread` measures every setting on 10 seeds.")


def plot_curves(models):
    """d2l's board data for several models: losses on the left, accuracy on the right."""
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3), layout="constrained")
    for (name, model), style in zip(models.items(), ["-", "--", ":"]):
        for key, ax in [("train_loss", axes[0]), ("val_loss", axes[0]), ("val_acc", axes[1])]:
            points = model.board.data[key]
            ax.plot([p.x for p in points], [p.y for p in points], style, label=f"{name} {key}")
    for ax, label in zip(axes, ["loss", "validation accuracy"]):
        ax.set(xlabel="epoch", ylabel=label)
        ax.legend()
    plt.show()


if __name__ == "__main__":
    _course.main()
