"""Checks for the exercises at the end of each notebook.

Each `check_...` function looks at a student's answer and returns Feedback: shown in
the notebook as "Correct" with a word on why, or "Not yet" with a hint. A check never
raises on a wrong answer and never shows the solution.
"""

import inspect
import math

import numpy as np
import utils
from utils import tf

RESULTS = {}  # exercise name -> did its last check pass (CI asserts these on the solutions)


class Feedback:
    """What a check says: passed or not, in a sentence."""

    def __init__(self, exercise, passed, message):
        self.exercise, self.passed, self.message = exercise, passed, message
        RESULTS[exercise] = passed

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return ("Correct. " if self.passed else "Not yet. ") + self.message

    def _repr_markdown_(self):
        return ("✔ **Correct.** " if self.passed else "✘ **Not yet.** ") + self.message


def _unfinished(value):
    return value is Ellipsis or value is None


def _raised(what, err):
    """A hint for an answer that raised: a `...` left in place, or the error itself."""
    if "ellipsis" in f"{type(err).__name__} {err}".lower():
        return f"{what} met a `...` still in your code: replace every `...`, then run it again."
    return f"{what} raised {type(err).__name__}: {err}"


def _placeholder(name):
    return f"`{name}` is still `...`: replace the `...` with your code, then run the cell again."


# -- 01-mlp-scratch ---------------------------------------------------------------------
def check_relu(relu2):
    """Exercise 1 (01): ReLU written another way than tf.math.maximum."""
    name = "relu"
    X = tf.constant([[-3.0, -0.5, 0.0], [0.25, 2.0, 7.5]])
    try:
        out = relu2(X)
    except Exception as err:  # a student's function may fail in any way
        return Feedback(name, False, _raised("`relu2(X)`", err))
    if _unfinished(out):
        return Feedback(name, False, "`relu2` returns `...`: make it return a tensor.")
    try:
        body = inspect.getsource(relu2).split(":", 1)[1]
    except (OSError, TypeError):  # no source to read (a lambda in a string, say)
        body = ""
    if "maximum" in body or "relu" in body:
        return Feedback(name, False, "That is the lecture's way (or TensorFlow's own ReLU). "
                        "Try a mask instead: keep X where X > 0 (`tf.where`, or multiply "
                        "by a 0/1 tensor).")
    out = tf.convert_to_tensor(out)
    if out.shape != X.shape:
        return Feedback(name, False, f"`relu2(X)` has shape {out.shape}, X has {X.shape}: "
                        "ReLU works elementwise, so the shape must not change.")
    got, want = out.numpy(), tf.nn.relu(X).numpy()
    if (got[X.numpy() < 0] != 0).any():
        return Feedback(name, False, "Negative inputs must become 0; yours do not. "
                        f"relu2({X.numpy()[0].tolist()}) gave {got[0].tolist()}.")
    if not np.array_equal(got, want):
        return Feedback(name, False, "Positive inputs must pass through unchanged; "
                        f"relu2({X.numpy()[1].tolist()}) gave {got[1].tolist()}.")
    return Feedback(name, True, "Same values as `tf.nn.relu` on negative, zero and positive "
                    "inputs.")


def mlp_param_count(sizes):
    """The parameters of a Keras MLP with these layer sizes (input first), counted by Keras."""
    net = tf.keras.Sequential([tf.keras.layers.Dense(n) for n in sizes[1:]])
    net.build((None, sizes[0]))
    return net.count_params()


def check_param_count(n_params, sizes=(784, 512, 128, 10)):
    """Exercise 2 (01): the parameter count of a deeper MLP, worked out by hand."""
    name = "params"
    if _unfinished(n_params):
        return Feedback(name, False, _placeholder("n_params"))
    want = mlp_param_count(sizes)
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if n_params == want:
        return Feedback(name, True, f"{want:,} parameters, as Keras counts them: each layer has "
                        "inputs × outputs weights and one bias per output.")
    if n_params == weights:
        return Feedback(name, False, "You counted the weights only: each layer also has one "
                        "bias per output unit.")
    if n_params == weights + sum(sizes):
        return Feedback(name, False, "One bias too many per layer: the input has no bias; "
                        "only each layer's outputs do.")
    return Feedback(name, False, f"{n_params:,} is not it. Add up, for each of the "
                    f"{len(sizes) - 1} layers, inputs × outputs (weights) + outputs (biases).")


def check_two_hidden_layers(model_class):
    """Exercise 3 (01): MLPScratch with a second hidden layer."""
    name = "deeper"
    try:
        model = model_class(num_inputs=784, num_outputs=10, num_hiddens_1=256,
                            num_hiddens_2=128, lr=0.1)
        shapes = [tuple(v.shape) for v in model.trainable_variables]
    except Exception as err:
        return Feedback(name, False, _raised("Creating the model", err))
    want = [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]
    if shapes != want:
        return Feedback(name, False, f"Its variables have shapes {shapes}; expected {want}: "
                        "W1, b1, W2, b2, W3, b3, each layer's outputs the next one's inputs.")
    X = tf.random.stateless_normal((8, 28, 28, 1), seed=(1, 2))
    try:
        got = model(X)
    except Exception as err:
        return Feedback(name, False, _raised("The forward pass", err))
    W1, b1, W2, b2, W3, b3 = model.trainable_variables
    H1 = tf.nn.relu(tf.reshape(X, (-1, 784)) @ W1 + b1)
    want_logits = tf.nn.relu(H1 @ W2 + b2) @ W3 + b3
    if tuple(got.shape) != (8, 10):
        return Feedback(name, False, f"8 images gave logits of shape {tuple(got.shape)}, "
                        "expected (8, 10): flatten the images first, as in the lecture.")
    if utils.roundoff_units(want_logits, got) > utils.ROUNDOFF_LIMIT:
        return Feedback(name, False, "The logits are not relu(relu(X W1 + b1) W2 + b2) W3 + b3. "
                        "Is there a ReLU after each hidden layer, and none after the output?")
    return Feedback(name, True, "Six variables, and the logits of two ReLU hidden layers.")


BOTTLENECK_ANSWERS = {
    "a": "the learning rate is too small for so few weights",
    "b": "every image is squeezed into one number before the output layer",
    "c": "one unit needs more epochs; with enough training it catches up",
}


def check_one_unit(model, data, why):
    """Exercise 4 (01): train with one hidden unit; say why it fails."""
    name = "one unit"
    if _unfinished(model) or not hasattr(model, "num_hiddens"):
        return Feedback(name, False, _placeholder("model_1"))
    if model.num_hiddens != 1:
        return Feedback(name, False, f"`model_1` has {model.num_hiddens} hidden units: use 1.")
    if getattr(model, "trainer", None) is None:
        return Feedback(name, False, "`model_1` has not been trained: fit it with "
                        "`utils.Trainer(max_epochs=2)`.")
    accuracy = utils.evaluate(model, data)[0]
    if _unfinished(why) or why not in BOTTLENECK_ANSWERS:
        return Feedback(name, False, f"Trained: test accuracy {accuracy:.2f}. Now set `why` "
                        "to 'a', 'b' or 'c'.")
    if why != "b":
        hint = {"a": "A larger learning rate does not rescue it: try lr=0.5.",
                "c": "Look at its board: the curves flatten early. More epochs cannot add "
                     "what one number per image cannot hold."}[why]
        return Feedback(name, False, hint)
    return Feedback(name, True, f"Test accuracy {accuracy:.2f}. One hidden unit is a "
                    "bottleneck: the output layer sees a single number per image, so it can "
                    "tell apart only a few classes.")


# -- 02-mlp-concise --------------------------------------------------------------------
def check_init(model_class):
    """Exercise 1 (02): Dense layers that start like the scratch model."""
    name = "init"
    try:
        model = model_class(num_outputs=10, num_hiddens=256, lr=0.1)
        model(tf.zeros((1, 28, 28, 1)))
        W1, b1, W2, b2 = model.trainable_variables
    except Exception as err:
        return Feedback(name, False, _raised("Building the model", err))
    for W_name, W in [("W1", W1), ("W2", W2)]:
        n, std, mean = int(tf.size(W)), float(tf.math.reduce_std(W)), float(tf.reduce_mean(W))
        z_std, z_mean = (std - 0.01) / (0.01 / math.sqrt(2 * n)), mean / (0.01 / math.sqrt(n))
        if abs(z_std) > 5 or abs(z_mean) > 5:
            glorot = math.sqrt(2 / sum(W.shape))  # the std of Glorot-uniform
            default = " That is Glorot-uniform, Keras's default." if abs(
                std / glorot - 1) < 0.1 else ""
            return Feedback(name, False, f"{W_name} has mean {mean:+.4f} and std {std:.4f}; "
                            f"the scratch model draws N(0, 0.01²).{default} Pass a "
                            "`kernel_initializer` to each Dense layer.")
    if any(tf.reduce_any(b != 0) for b in (b1, b2)):
        return Feedback(name, False, "The biases must start at zero, as in the scratch model.")
    return Feedback(name, True, "Weights from N(0, 0.01²), biases zero: both versions now start "
                    "alike.")


def check_activation(model_class):
    """Exercise 2 (02): the concise MLP with tanh."""
    name = "tanh"
    try:
        model = model_class(num_outputs=10, num_hiddens=256, lr=0.1)
        model(tf.zeros((1, 28, 28, 1)))
        layers = model.net.layers
    except Exception as err:
        return Feedback(name, False, _raised("Building the model", err))
    kinds = [type(layer).__name__ for layer in layers]
    if kinds != ["Flatten", "Dense", "Dense"]:
        return Feedback(name, False, f"Its layers are {kinds}: keep Flatten, Dense, Dense, and "
                        "change only the activation argument.")
    first, last = (layer.activation.__name__ for layer in layers[1:])
    if first != "tanh":
        return Feedback(name, False, f"The hidden layer's activation is {first}, not tanh.")
    if last != "linear":
        return Feedback(name, False, f"The output layer has activation {last}: leave it linear "
                        "(the loss applies softmax to the logits).")
    return Feedback(name, True, f"{model.net.count_params():,} parameters, as before: an "
                    "activation has none.")


def check_sweep(sweep, seeds):
    """Exercise 3 (02): a width sweep on paired seeds; plots it when it is right."""
    name = "sweep"
    if not isinstance(sweep, dict) or not sweep:
        return Feedback(name, False, "`sweep` should map each width to its accuracies.")
    for width, accs in sweep.items():
        if _unfinished(accs):
            return Feedback(name, False, _placeholder(f"sweep[{width}]"))
        if not isinstance(accs, (list, tuple)) or len(accs) != len(seeds):
            return Feedback(name, False, f"sweep[{width}] should hold one accuracy per seed "
                            f"({len(seeds)}), the same seeds for every width.")
        if not all(0 <= a <= 1 for a in accs):
            return Feedback(name, False, f"sweep[{width}] = {accs}: accuracies lie in [0, 1].")
    if len(seeds) < 2:
        return Feedback(name, False, "One seed per width is one run each, and one run is not "
                        "a finding: use at least two seeds.")
    if len(sweep) < 3:
        return Feedback(name, False, "Try at least three widths to see a trend.")
    if len({tuple(a) for a in sweep.values()}) == 1:
        return Feedback(name, False, "Every width gave the same accuracies: did each run use "
                        "its own width (`hiddens=(width,)`)?")
    widths = sorted(sweep)
    fig, ax = utils.plt.subplots(figsize=(6, 2.6), layout="constrained")
    for i, seed in enumerate(seeds):
        ax.plot(widths, [sweep[w][i] for w in widths], "o-", alpha=0.5, label=f"seed {seed}")
    ax.plot(widths, [np.mean(sweep[w]) for w in widths], "k-s", label="mean")
    ax.set(xscale="log", xlabel="hidden units", ylabel="test accuracy (1 epoch)")
    ax.legend()
    utils.plt.show()
    return Feedback(name, True, f"{len(widths)} widths × {len(seeds)} paired seeds. Compare "
                    "the lines, not single dots: the seed moves each run.")


def check_lr_verdict(diffs, verdict):
    """Exercise 4 (02): paired differences and the verdict they support."""
    name = "lr verdict"
    if _unfinished(diffs) or _unfinished(verdict):
        return Feedback(name, False, _placeholder("diffs" if _unfinished(diffs) else "verdict"))
    if len(diffs) < 3:
        return Feedback(name, False, "Use at least 3 seeds: with fewer, the interval is "
                        "too wide to say anything.")
    if max(abs(d) for d in diffs) < 0.05 and any(d != 0 for d in diffs):  # < 5 test images
        return Feedback(name, False, f"Your differences ({diffs}) look like fractions: give "
                        "them in percentage points (100 × the accuracy difference).")
    mean, low, high = utils.interval(diffs)
    right = "no clear difference" if low <= 0 <= high else (
        "higher" if mean > 0 else "lower")
    if verdict != right:
        return Feedback(name, False, f"The 95% interval of the mean difference is {low:+.2f} to "
                        f"{high:+.2f} points (`utils.interval(diffs)`). Which verdict does that "
                        "support: does it hold 0, or lie above or below it?")
    return Feedback(name, True, f"Mean {mean:+.2f} points, 95% interval {low:+.2f} to "
                    f"{high:+.2f}: '{right}'.")

