"""The exercises of 02-mlp-concise: start alike, zero init, a width sweep, a learning rate."""

import math

import matplotlib.pyplot as plt
import numpy as np
import utils

from course import figures, stats
from course.exercises.core import Exercise, NotYet, choice, number
from course.exercises.core import progress as _progress
from course.keras2 import tf


def _init(model_class):
    utils.set_seed(1)
    model = model_class(num_outputs=10, num_hiddens=256, lr=0.1)
    model(tf.zeros((1, 28, 28, 1)))
    W1, b1, W2, b2 = model.trainable_variables
    for W_name, W in [("W1", W1), ("W2", W2)]:
        n, std, mean = int(tf.size(W)), float(tf.math.reduce_std(W)), float(tf.reduce_mean(W))
        z_std, z_mean = (std - 0.01) / (0.01 / math.sqrt(2 * n)), mean / (0.01 / math.sqrt(n))
        if abs(z_std) > 5 or abs(z_mean) > 5:
            glorot = math.sqrt(2 / sum(W.shape))  # the std of Glorot-uniform
            if abs(std / glorot - 1) < 0.1:
                raise NotYet(f"{W_name} has std {std:.4f}: that is Glorot-uniform, Keras's "
                             "default. Pass a `kernel_initializer` to each Dense layer.")
            if abs(std / 0.05 - 1) < 0.1:
                raise NotYet(f"{W_name} has std {std:.3f}: that is RandomNormal's default "
                             "stddev, which the name 'random_normal' gives. Set stddev "
                             "yourself.")
            if abs(std / 1e-4 - 1) < 0.1:
                raise NotYet(f"{W_name} has std {std:.2g}: 0.01² is the variance; Keras's "
                             "`stddev` takes the standard deviation.")
            raise NotYet(f"{W_name} has mean {mean:+.4f} and std {std:.4f}; the scratch "
                         "model draws N(0, 0.01²).")
    if any(tf.reduce_any(b != 0) for b in (b1, b2)):
        raise NotYet("The biases must start at zero, as in the scratch model.")
    return "Weights from N(0, 0.01²), biases zero: both versions now start alike."


init = Exercise(
    "02-1", "Start alike", _init,
    ["Keras's initializers live in `tf.keras.initializers`. Which one draws from a normal?",
     "`tf.keras.initializers.RandomNormal(stddev=...)`: stddev is the standard deviation."],
    """class MLPLikeScratch(d2l.Classifier):
    def __init__(self, num_outputs, num_hiddens, lr):
        super().__init__()
        self.save_hyperparameters()
        init = tf.keras.initializers.RandomNormal(stddev=0.01)
        self.net = tf.keras.models.Sequential([
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(num_hiddens, activation='relu', kernel_initializer=init),
            tf.keras.layers.Dense(num_outputs, kernel_initializer=init)])""",
    "Dense layers draw their weights from Glorot-uniform unless told otherwise, and start "
    "their biases at zero. Giving them the scratch model's N(0, 0.01²) makes the two versions "
    "the same model from the same kind of start; only the random draws differ.")


def _truth(value):
    """value as True or False if it is one (Python's, NumPy's or a scalar boolean tensor),
    else None."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if tf.is_tensor(value) and value.dtype == tf.bool and value.shape.rank == 0:
        return bool(value)
    return None


def _zero(model, grads, moves):
    variables = list(model.trainable_variables)
    if any(float(tf.reduce_max(tf.abs(v))) != 0 for v in variables[0::2]):
        raise NotYet("`model_0` has nonzero weights: create it with `sigma=0`.")
    if not isinstance(grads, (list, tuple)) or len(grads) != 4:
        raise NotYet("`grads` should be the four gradients, one per variable: "
                     "`gradients(model_0, X, y)`.")
    X = tf.random.stateless_uniform((32, 28, 28, 1), seed=(0, 2))
    y = tf.random.stateless_uniform((32,), seed=(1, 2), maxval=10, dtype=tf.int32)
    with tf.GradientTape() as tape:
        loss = model.loss(model(X), y)
    theirs = tape.gradient(loss, variables)  # model_0's own gradients, on a batch of ours
    if [tuple(g.shape) for g in grads] != [tuple(v.shape) for v in variables]:
        raise NotYet("`grads` should be model_0's four gradients, shaped like W1, b1, W2, b2: "
                     "`gradients(model_0, X, y)`.")
    nonzero = [bool(tf.reduce_any(g != 0)) for g in grads]
    if nonzero != [bool(tf.reduce_any(g != 0)) for g in theirs]:
        raise NotYet("`grads` are not model_0's gradients: those are zero or not in other "
                     "places. Compute them with `gradients(model_0, X, y)`.")
    moves = [_truth(m) for m in moves] if isinstance(moves, (list, tuple)) else None
    if moves is None or len(moves) != 4 or None in moves:
        raise NotYet("`moves` should be four True/False, one per variable (W1, b1, W2, b2), "
                     "as you predict them.")
    if list(moves) == nonzero:
        return ("Only b2 moves. The hidden units all compute relu(0) = 0, so W2's gradient "
                "(H × the output error) is 0; and with W2 = 0 no error flows back to W1 and "
                "b1. The units stay identical, and zero, forever: that is why weights start "
                "random.")
    if moves[3] is False:
        raise NotYet("b2 gets the softmax error directly, whatever the hidden layer does. "
                     "Look at `grads[3]`.")
    if moves[2]:
        raise NotYet("W2's gradient is H (the hidden values) times the output error. What "
                     "is H when every weight is zero?")
    raise NotYet("The error reaches W1 and b1 only through W2. What is W2 here?")


zero_init = Exercise(
    "02-2", "Zero initialisation", _zero,
    ["Follow one batch forward: X W1 + b1 with zero weights and biases is 0; relu(0) = 0. "
     "Then backward: which gradient is not multiplied by something zero?",
     "Gradients: W2 gets H × error (H = 0), W1 and b1 get error × W2 (W2 = 0); b2 gets the "
     "error itself."],
    """model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1,
                           sigma=0)
X, y = next(iter(data.train_dataloader()))
grads = gradients(model_0, X, y)
moves = [False, False, False, True]""",
    "With zero weights every hidden unit is the same function (zero), so every unit gets the "
    "same gradient: none for W1 and W2 here. Random initial weights break that symmetry; "
    "that is their job, beyond setting a scale.")


def _sweep(try_mlp, sweep, seeds, verdict):
    if not isinstance(sweep, dict) or not sweep:
        raise NotYet("`sweep` should map each width to its accuracies, one per seed.")
    if len(seeds) < 2:
        raise NotYet("One seed per width is one run each, and one run is not a finding: "
                     "use at least three seeds.")
    if len(seeds) < 3:
        raise NotYet("Two seeds give two paired differences, and an interval from two is "
                     "too wide to say anything: use at least three seeds.")
    numbers = {}
    for width, accs in sweep.items():
        if not isinstance(accs, (list, tuple)) or len(accs) != len(seeds):
            raise NotYet(f"sweep[{width}] should hold one accuracy per seed ({len(seeds)}), "
                         "the same seeds for every width.")
        numbers[width] = [number(a, f"sweep[{width}]") for a in accs]
        if not all(0 <= a <= 1 for a in numbers[width]):
            raise NotYet(f"sweep[{width}] = {numbers[width]}: accuracies lie in [0, 1].")
        if len(set(numbers[width])) == 1:
            raise NotYet(f"At width {width}, every seed gave {numbers[width][0]}: the runs did "
                         "not use their seed. Pass `seed=s` to `try_mlp`.")
    sweep = numbers
    if len(sweep) < 3 or 256 not in sweep:
        raise NotYet("Try at least three widths, 256 among them (the baseline).")
    narrowest = min(sweep)
    again = try_mlp(hiddens=(narrowest,), seed=seeds[0])  # one of your runs, run again here
    if abs(again - sweep[narrowest][0]) > 5e-4:  # a seed repeats on one machine; 5 images
        raise NotYet(f"Width {narrowest} on seed {seeds[0]}, run again here, gives "
                     f"{again:.4f}; your sweep has {sweep[narrowest][0]:.4f}. Each entry must "
                     "come from `try_mlp(hiddens=(width,), seed=s)`, in the order of `seeds`.")
    diffs = [100 * (a - b) for a, b in zip(sweep[narrowest], sweep[256])]
    mean, low, high, p = stats.interval(diffs)
    right = stats.direction(mean, p)  # the slides' rule; for one question: 0 outside the 95%
    verdict = choice(verdict)
    if verdict not in ("higher", "lower", "no clear difference"):
        raise NotYet(f"Now the verdict: is {narrowest} units 'higher', 'lower' or 'no clear "
                     f"difference' against 256? Use checks.interval on the paired differences.")
    if verdict != right:
        raise NotYet(f"{narrowest} − 256 units on your seeds: mean {mean:+.2f} points, 95% "
                     f"interval {low:+.2f} to {high:+.2f}. Which verdict does the interval "
                     "support?")
    widths = sorted(sweep)
    fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
    for i, seed in enumerate(seeds):  # a colour, line style and marker per seed
        ax.plot(widths, [sweep[w][i] for w in widths], alpha=0.8, label=f"seed {seed}",
                **figures.style(i))
    means = [np.mean(sweep[w]) for w in widths]
    ax.plot(widths, means, color="#000000", marker="*", markersize=10, label="mean")
    ax.set(xscale="log", xlabel="hidden units", ylabel="test accuracy (1 epoch)")
    ax.legend()
    figures.show(fig, "Test accuracy after 1 epoch against hidden units (log scale), on seeds "
                  f"{', '.join(map(str, seeds))}: " + "; ".join(
                      f"{w} units, mean {m:.3f} (from {min(sweep[w]):.3f} to "
                      f"{max(sweep[w]):.3f})" for w, m in zip(widths, means)) + ".")
    return (f"{narrowest} − 256 units: {mean:+.2f} points on average (95% interval {low:+.2f} "
            f"to {high:+.2f}) on {len(seeds)} paired seeds: '{right}'. Pairing by seed takes "
            "the seed's own effect out of each difference.")


sweep = Exercise(
    "02-3", "A width sweep, on paired seeds", _sweep,
    ["For each width, call try_mlp once per seed: `try_mlp(hiddens=(width,), seed=s)`.",
     "Paired differences: `[100 * (a - b) for a, b in zip(sweep[16], sweep[256])]`; then "
     "`mean, low, high, p = checks.interval(diffs)` and read the interval."],
    """seeds = [0, 1, 2]
sweep = {}
for width in [16, 64, 256]:
    sweep[width] = [try_mlp(hiddens=(width,), seed=s) for s in seeds]
diffs = [100 * (a - b) for a, b in zip(sweep[16], sweep[256])]
mean, low, high, p = checks.interval(diffs)
verdict = "no clear difference" if low <= 0 <= high else ("higher" if mean > 0 else "lower")""",
    "Each seed fixes the initial weights and the batches; running every width on the same "
    "seeds and subtracting per seed removes that shared luck. The interval of the paired "
    "differences then says whether the width, not the seed, moved the accuracy.",
    staged=True)


def _lr(diffs, verdict, seeds, try_mlp):
    if not isinstance(diffs, (list, tuple)) or len(diffs) != len(seeds):
        raise NotYet("`diffs` should hold one difference per seed, in the order of `seeds`.")
    diffs = [number(d, "diffs") for d in diffs]
    if len(diffs) < 3:
        raise NotYet("Use at least 3 seeds: with fewer, the interval is too wide to say "
                     "anything.")
    if max(abs(d) for d in diffs) < 0.05 and any(d != 0 for d in diffs):
        raise NotYet(f"Your differences ({diffs}) look like fractions: give them in "
                     "percentage points (100 × the accuracy difference).")
    again = 100 * (try_mlp(lr=0.3, seed=seeds[0]) - try_mlp(lr=0.1, seed=seeds[0]))
    if abs(again - diffs[0]) > 0.05:  # the same seed repeats on one machine; 5 images
        raise NotYet(f"Seed {seeds[0]}, run again here, gives {again:+.2f} points; your "
                     f"first difference is {diffs[0]:+.2f}. The numbers must come from runs "
                     "on your seeds: 100 * (try_mlp(lr=0.3, seed=s) - try_mlp(lr=0.1, seed=s)).")
    mean, low, high, p = stats.interval(diffs)
    right = stats.direction(mean, p)  # the slides' rule; for one question: 0 outside the 95%
    if choice(verdict) != right:
        raise NotYet(f"The 95% interval of the mean difference is {low:+.2f} to {high:+.2f} "
                     "points (`checks.interval(diffs)`). Which verdict does that support: "
                     "does it hold 0, or lie above or below it?")
    return (f"Mean {mean:+.2f} points, 95% interval {low:+.2f} to {high:+.2f}: '{right}'; "
            f"and seed {seeds[0]} repeats ({again:+.2f}).")


lr_verdict = Exercise(
    "02-4", "A learning rate, judged on paired seeds", _lr,
    ["Per seed s: `100 * (try_mlp(lr=0.3, seed=s) - try_mlp(lr=0.1, seed=s))`.",
     "`mean, low, high, p = checks.interval(diffs)`: 'no clear difference' if low <= 0 <= "
     "high, else 'higher' or 'lower' by the sign of the mean."],
    """seeds = [0, 1, 2]
diffs = [100 * (try_mlp(lr=0.3, seed=s) - try_mlp(lr=0.1, seed=s)) for s in seeds]
mean, low, high, p = checks.interval(diffs)
verdict = "no clear difference" if low <= 0 <= high else ("higher" if mean > 0 else "lower")""",
    "Each difference compares the two learning rates on the same initial weights and "
    "batches. The t-interval of their mean says how far the seed alone could move it; only "
    "an interval clear of 0 is a finding.")


EXERCISES = [init, zero_init, sweep, lr_verdict]


def progress():
    """How far you are with this notebook's exercises."""
    return _progress(EXERCISES)
