"""The exercises at the end of each notebook, in the style of Kaggle's learntools.

Each exercise is an object: ``ex.check(...)`` judges an answer and says why it is right or
what is wrong (it never raises and never shows the answer); ``ex.hint()`` gives the next
hint, ``ex.solution()`` the solution and why. ``progress()`` shows a table of them all.
"""

import inspect
import math

import _figures
import checks
import numpy as np
import utils
from utils import tf


class Feedback:
    """What a check says: passed or not, in a sentence."""

    def __init__(self, passed, message):
        self.passed, self.message = passed, message

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return ("Correct. " if self.passed else "Not yet. ") + self.message

    def _repr_markdown_(self):
        return ("✔ **Correct.** " if self.passed else "✘ **Not yet.** ") + self.message


class Markdown(str):
    """Text shown as Markdown in a notebook, and as itself elsewhere."""

    def _repr_markdown_(self):
        return str(self)


class NotYet(Exception):
    """Raised inside a check: the answer is wrong, and the message says how."""


class Exercise:
    """One exercise: its check, its hints (easiest last), its solution and why."""

    def __init__(self, number, title, judge, hints, solution, why, staged=False):
        self.number, self.title, self.judge, self.staged = number, title, judge, staged
        self.hints, self.solution_code, self.why = hints, solution, why
        self.passed, self.tries, self.hints_seen, self.solution_seen = None, 0, 0, False

    def check(self, *answer):
        """Judge an answer: ✔ with why it is right, or ✘ with what is wrong. Never raises."""
        self.tries += 1
        unfinished = answer[:-1] if self.staged else answer  # staged: the last one waits
        if any(a is Ellipsis for a in unfinished):
            feedback = Feedback(False, "An answer is still `...`: replace every `...` with "
                                "your code, run that cell, then this one.")
        else:
            try:
                feedback = Feedback(True, self.judge(*answer))
            except NotYet as wrong:
                feedback = Feedback(False, str(wrong))
            except Exception as err:  # a student's code may fail in any way
                feedback = Feedback(False, raised(err))
        self.passed = feedback.passed
        return feedback

    def hint(self):
        """The next hint: the first one names the idea, the last one nearly the answer."""
        self.hints_seen = min(self.hints_seen + 1, len(self.hints))
        return Markdown(f"**Hint {self.hints_seen} of {len(self.hints)}.** "
                        f"{self.hints[self.hints_seen - 1]}")

    def solution(self):
        """The solution, and why it is right."""
        self.solution_seen = True
        return Markdown(f"**Solution.**\n\n```python\n{self.solution_code}\n```\n\n"
                        f"**Why.** {self.why}")


def raised(err):
    """What to say when an answer raised: a `...` left in place, or the error itself."""
    text = f"{type(err).__name__}: {err}".strip()
    if "ellipsis" in text.lower():
        return "Your code met a `...` still in it: replace every `...`, then run it again."
    return f"Running your answer raised {text.splitlines()[0][:300]}"


def number(value, what):
    """value as a float, or NotYet saying it is not a number."""
    if isinstance(value, str):
        raise NotYet(f"`{what}` is the text {value!r}, not a number: remove the quotes so "
                     "that Python computes it.")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise NotYet(f"`{what}` is a {type(value).__name__}; it should be a number.")
    return float(value)


def calls(function):
    """Every name a function's code uses (its own, and in nested functions and lambdas)."""
    names, codes = set(), [function.__code__]
    while codes:
        code = codes.pop()
        names |= set(code.co_names)
        codes += [c for c in code.co_consts if inspect.iscode(c)]
    return names


def _param_count(sizes):
    """Parameters of an MLP with these layer sizes (input first), counted by Keras."""
    net = tf.keras.Sequential([tf.keras.layers.Dense(n) for n in sizes[1:]])
    net.build((None, sizes[0]))
    return net.count_params()


# -- 01-mlp-scratch ---------------------------------------------------------------------
def _relu(relu2):
    built_in = calls(relu2) & {"maximum", "relu", "ReLU", "relu6", "Activation", "max"}
    if built_in:
        raise NotYet(f"Your `relu2` calls `{sorted(built_in)[0]}`, a ReLU (or max) that "
                     "TensorFlow already has. Build it from a comparison instead.")
    X = tf.constant([[-3.0, -0.5, 0.0], [0.25, 2.0, 7.5]])
    out = relu2(X)
    if out is Ellipsis:
        raise NotYet("`relu2` still returns `...`: replace it with your code.")
    if out is None:
        raise NotYet("`relu2(X)` returns nothing: end it with `return` and your tensor.")
    out = tf.convert_to_tensor(out)
    if out.shape != X.shape:
        raise NotYet(f"`relu2(X)` has shape {out.shape}, X has {X.shape}: ReLU works "
                     "elementwise, so the shape must not change.")
    if out.dtype != X.dtype:
        raise NotYet(f"`relu2(X)` has dtype {out.dtype.name}, X has {X.dtype.name}: a "
                     "comparison gives booleans; turn a mask into numbers with "
                     "`tf.cast(mask, X.dtype)`.")
    got = np.asarray(out, np.float64)
    if (got[X.numpy() < 0] != 0).any():
        raise NotYet(f"Negative inputs must become 0; relu2({X.numpy()[0].tolist()}) gave "
                     f"{got[0].tolist()}.")
    if not np.array_equal(got, tf.nn.relu(X).numpy()):
        raise NotYet(f"Positive inputs must pass through unchanged; "
                     f"relu2({X.numpy()[1].tolist()}) gave {got[1].tolist()}.")
    return ("Same values as `tf.nn.relu` on negative, zero and positive inputs: a ReLU is "
            "only 'keep X where X > 0'.")


relu = Exercise(
    "01-1", "ReLU, another way", _relu,
    ["A ReLU keeps X where X > 0 and puts 0 elsewhere. Which TensorFlow function picks "
     "between two tensors, element by element, on a condition?",
     "`tf.where(condition, a, b)` takes a where condition holds, b elsewhere. Or multiply X "
     "by the condition turned into 0s and 1s: `tf.cast(X > 0, X.dtype)`."],
    "def relu2(X):\n    return tf.where(X > 0, X, tf.zeros_like(X))",
    "A ReLU is a choice per element, not arithmetic: where the input is positive it passes, "
    "elsewhere it is 0. `tf.where` makes that choice; a 0/1 mask times X does too. Either is "
    "what `tf.math.maximum(X, 0)` computes.")


def _collapse(W, b, model):
    W1, b1, W2, b2 = (np.asarray(v, np.float64) for v in model.trainable_variables)
    W, b = np.asarray(W, np.float64), np.asarray(b, np.float64)
    b = b.reshape(-1) if b.size == 10 else b  # a 1 x 10 row is fine too
    if W.shape != (784, 10):
        raise NotYet(f"`W` has shape {W.shape}. One affine map from 784 pixels to 10 logits "
                     "needs a 784 × 10 matrix: which product of W1 and W2 has that shape?")
    if b.shape != (10,):
        raise NotYet(f"`b` has shape {b.shape}; it should hold one bias per logit (10). "
                     "b1 has 256 entries: it must go through W2 first.")
    X = tf.random.stateless_uniform((64, 784), seed=(4, 2), dtype=tf.float64).numpy()
    two_layers = (X @ W1 + b1) @ W2 + b2  # the MLP with its ReLU removed
    one_map = X @ W + b
    if checks.roundoff_units(X @ W1 @ W2, X @ W) > checks.ROUNDOFF_LIMIT:
        raise NotYet("`W` maps images to logits differently from the two layers: follow an "
                     "image x through x W1, then through W2.")
    if checks.roundoff_units(two_layers, one_map) > checks.ROUNDOFF_LIMIT:
        off = "b2 only: b1 still goes through W2" if np.allclose(b, b2) else (
            "b1 passes through W2 as everything else in the first layer does")
        raise NotYet(f"`W` is right; `b` is not ({off}).")
    relu_gap = checks.affine_gap(model, tf.constant(X[:64], tf.float32))
    return (f"The two layers without a ReLU are one affine map, X W + b, to round-off "
            f"({checks.roundoff_units(two_layers, one_map):.1f} u). With the ReLU, the trained "
            f"MLP is {relu_gap:,.0f} u away from any affine map: the nonlinearity is what "
            "the hidden layer adds.")


linear_collapse = Exercise(
    "01-2", "Without the ReLU, two layers are one", _collapse,
    ["Drop the ReLU: O = (X W1 + b1) W2 + b2. Multiply out the brackets.",
     "(X W1 + b1) W2 + b2 = X (W1 W2) + (b1 W2 + b2). Matrix products in TensorFlow: "
     "`A @ B`; a vector times a matrix works the same way."],
    "W = model.W1 @ model.W2\nb = tf.tensordot(model.b1, model.W2, axes=1) + model.b2",
    "Without a nonlinearity, (X W1 + b1) W2 + b2 = X (W1 W2) + (b1 W2 + b2): the 203,530 "
    "parameters describe only 7,850 numbers' worth of model, the size of softmax regression. "
    "Depth buys nothing without the ReLU between the layers.")


def _count(n_params, sizes=(784, 512, 128, 10)):
    n = number(n_params, "n_params")
    want = _param_count(sizes)
    weights = sum(a * c for a, c in zip(sizes, sizes[1:]))
    if n == want:
        return (f"{want:,} parameters, as Keras counts them: each layer has inputs × outputs "
                "weights and one bias per output.")
    if n == weights:
        raise NotYet("You counted the weights only: each layer also has one bias per output.")
    if n == weights + sum(sizes):
        raise NotYet("One bias too many: the input has no bias; only each layer's outputs do.")
    if n == weights + sum(sizes[:-1]):
        raise NotYet("Biases belong to each layer's outputs, not to its inputs.")
    if n == weights + sum(sizes[1:-1]):
        raise NotYet("The output layer has biases too, one per class.")
    raise NotYet(f"{n:,.0f} is not it. Add up, for each of the {len(sizes) - 1} layers, "
                 "inputs × outputs (weights) + outputs (biases).")


count = Exercise(
    "01-3", "Count by hand", _count,
    ["Three layers: 784 → 512, 512 → 128, 128 → 10. Count each layer on its own.",
     "A layer from a to c units has a × c weights and c biases."],
    "n_params = 784 * 512 + 512 + 512 * 128 + 128 + 128 * 10 + 10",
    "Each affine layer has a weight per (input, output) pair and a bias per output. The "
    "first layer holds 401,920 of the 468,874: the input width dominates an MLP's size.")


def _deeper(model_class):
    utils.set_seed(1)
    model = model_class(num_inputs=784, num_outputs=10, num_hiddens_1=256, num_hiddens_2=128,
                        lr=0.1)
    names = ["W1", "b1", "W2", "b2", "W3", "b3"]
    variables = list(model.trainable_variables)
    if len(variables) != 6:
        raise NotYet(f"The model has {len(variables)} variables; it needs six, created in "
                     "this order: " + ", ".join(names) + " (tf.Variable each).")
    ins = [784, 256, 128]
    for i, (W, b) in enumerate(zip(variables[0::2], variables[1::2])):
        if len(W.shape) != 2 or W.shape[0] != ins[i] or len(b.shape) != 1 or \
                b.shape[0] != W.shape[1]:
            raise NotYet(f"{names[2 * i]} has shape {tuple(W.shape)} and {names[2 * i + 1]} "
                         f"{tuple(b.shape)}: a layer's weights are (its inputs, its outputs), "
                         "its bias has one entry per output, and each layer's outputs are "
                         "the next one's inputs.")
        std = float(tf.math.reduce_std(W))
        if std == 0:
            raise NotYet(f"{names[2 * i]} is all zeros. Zero weights are symmetric: every "
                         "hidden unit computes the same thing and gets the same gradient, "
                         "so they never become different. Draw them from N(0, sigma²).")
        if abs(std / 0.01 - 1) > 0.1:
            raise NotYet(f"{names[2 * i]} has standard deviation {std:.3g}, not sigma = 0.01: "
                         "multiply the normal draws by sigma, as MLPScratch does.")
        if tf.reduce_any(b != 0):
            raise NotYet(f"{names[2 * i + 1]} should start at zero, as in MLPScratch.")
    X = tf.random.stateless_normal((8, 28, 28, 1), seed=(1, 2))
    got = model(X)
    W1, b1, W2, b2, W3, b3 = variables
    H1 = tf.nn.relu(tf.reshape(X, (-1, 784)) @ W1 + b1)
    want = tf.nn.relu(H1 @ W2 + b2) @ W3 + b3
    if tuple(got.shape) != (8, 10):
        raise NotYet(f"8 images gave logits of shape {tuple(got.shape)}, expected (8, 10): "
                     "flatten the images first, as in the lecture.")
    if checks.roundoff_units(want, got) <= checks.ROUNDOFF_LIMIT:
        return ("Six variables, drawn like MLPScratch's, and the logits of two ReLU hidden "
                "layers.")
    no_relu_2 = (H1 @ W2 + b2) @ W3 + b3
    if checks.roundoff_units(no_relu_2, got) <= checks.ROUNDOFF_LIMIT:
        raise NotYet("There is no ReLU after the second hidden layer: without it, layers 2 "
                     "and 3 collapse into one affine map (exercise 01-2).")
    if checks.roundoff_units(tf.nn.relu(want), got) <= checks.ROUNDOFF_LIMIT:
        raise NotYet("There is a ReLU on the output: logits may be negative, so leave the "
                     "last layer affine.")
    raise NotYet("The logits are not relu(relu(X W1 + b1) W2 + b2) W3 + b3: is there a ReLU "
                 "after each hidden layer, and none after the output?")


deeper = Exercise(
    "01-4", "A second hidden layer", _deeper,
    ["Copy MLPScratch and add one more weight matrix and bias, between the two you have.",
     "Shapes: W1 (num_inputs, num_hiddens_1), W2 (num_hiddens_1, num_hiddens_2), W3 "
     "(num_hiddens_2, num_outputs). In forward: relu, relu, then no relu."],
    """class MLPScratch2(d2l.Classifier):
    def __init__(self, num_inputs, num_outputs, num_hiddens_1, num_hiddens_2, lr,
                 sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W1 = tf.Variable(tf.random.normal((num_inputs, num_hiddens_1)) * sigma)
        self.b1 = tf.Variable(tf.zeros(num_hiddens_1))
        self.W2 = tf.Variable(tf.random.normal((num_hiddens_1, num_hiddens_2)) * sigma)
        self.b2 = tf.Variable(tf.zeros(num_hiddens_2))
        self.W3 = tf.Variable(tf.random.normal((num_hiddens_2, num_outputs)) * sigma)
        self.b3 = tf.Variable(tf.zeros(num_outputs))

    def forward(self, X):
        X = tf.reshape(X, (-1, self.num_inputs))
        H1 = relu(tf.matmul(X, self.W1) + self.b1)
        H2 = relu(tf.matmul(H1, self.W2) + self.b2)
        return tf.matmul(H2, self.W3) + self.b3""",
    "Each hidden layer is an affine map followed by a ReLU; the output layer stays affine, "
    "since the loss turns logits into probabilities. The ReLU between every two layers keeps "
    "them from collapsing into one (exercise 01-2).")


BOTTLENECK_ANSWERS = {
    "a": "the learning rate is too small for so few weights",
    "b": "every image is squeezed into one number before the output layer",
    "c": "one unit needs more epochs; with enough training it catches up",
}


def _one_unit(prediction, model, accuracy, data, why):
    guess = number(prediction, "prediction")
    if not 0 <= guess <= 1:
        raise NotYet(f"`prediction` is {guess}: give an accuracy between 0 and 1.")
    if getattr(model, "num_hiddens", None) != 1:
        raise NotYet(f"`model_1` has {getattr(model, 'num_hiddens', 'no')} hidden units: "
                     "make MLPScratch with num_hiddens=1.")
    if getattr(model, "trainer", None) is None:
        raise NotYet("`model_1` has not been trained: fit it with `utils.Trainer(max_epochs=2)`.")
    measured = utils.evaluate(model, data)[0]
    if abs(number(accuracy, "accuracy_1") - measured) > 1e-9:
        raise NotYet(f"`accuracy_1` is {accuracy}, but model_1's test accuracy is not that: "
                     "measure it with `utils.evaluate(model_1, data)[0]`.")
    curve = [p.y for p in model.board.data["val_acc"]]
    if why not in BOTTLENECK_ANSWERS:
        raise NotYet(f"Measured: {measured:.3f} (you guessed {guess:.2f}). Now set `why` to "
                     "'a', 'b' or 'c'.")
    if why == "a":
        raise NotYet("Its weights are few, but each gets a full-size gradient: the learning "
                     "rate is not what is missing. Think about what the output layer sees.")
    if why == "c":
        change = f"{curve[0]:.3f} → {curve[-1]:.3f}" if len(curve) > 1 else "one point"
        raise NotYet(f"Its validation accuracy per epoch went {change}. Training can tune "
                     "the unit, but what can one number per image tell ten classes apart?")
    mean, low, high, n = checks.stored("MLP test accuracy")  # 256 units, 10 epochs
    return (f"Test accuracy {measured:.3f} (you guessed {guess:.2f}; the lecture's 256 units "
            f"reach {low:.3f} to {high:.3f} on {n} seeds). One hidden unit is a bottleneck: "
            "the output layer sees one number per image, so it can order the classes along "
            "a line, nothing more.")


one_unit = Exercise(
    "01-5", "One hidden unit", _one_unit,
    ["Before you run it: how many numbers per image reach the output layer?",
     "Train `MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=1, lr=0.1)` for 2 "
     "epochs with `utils.Trainer`, then `utils.evaluate(model_1, data)[0]`."],
    '''prediction = 0.3  # a guess, made before running
utils.set_seed()
model_1 = MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=1, lr=0.1)
utils.Trainer(max_epochs=2).fit(model_1, data)
accuracy_1 = utils.evaluate(model_1, data)[0]
why = "b"''',
    "With one hidden unit, the output layer gets a single number per image and maps it to "
    "ten logits by ten slopes and biases: along one line, only a few classes can each win "
    "somewhere. More epochs or another learning rate cannot widen that bottleneck.",
    staged=True)


# -- 02-mlp-concise --------------------------------------------------------------------
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


def _zero(model, grads, moves):
    variables = list(model.trainable_variables)
    if any(float(tf.reduce_max(tf.abs(v))) != 0 for v in variables[0::2]):
        raise NotYet("`model_0` has nonzero weights: create it with `sigma=0`.")
    if not isinstance(grads, (list, tuple)) or len(grads) != 4:
        raise NotYet("`grads` should be the four gradients, one per variable: "
                     "`gradients(model_0, X, y)`.")
    nonzero = [bool(tf.reduce_any(g != 0)) for g in grads]
    if not isinstance(moves, (list, tuple)) or len(moves) != 4 or \
            not all(isinstance(m, bool) for m in moves):
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


def _sweep(sweep, seeds, verdict):
    if not isinstance(sweep, dict) or not sweep:
        raise NotYet("`sweep` should map each width to its accuracies, one per seed.")
    if len(seeds) < 2:
        raise NotYet("One seed per width is one run each, and one run is not a finding: "
                     "use at least three seeds.")
    for width, accs in sweep.items():
        if not isinstance(accs, (list, tuple)) or len(accs) != len(seeds):
            raise NotYet(f"sweep[{width}] should hold one accuracy per seed ({len(seeds)}), "
                         "the same seeds for every width.")
        if not all(0 <= number(a, f"sweep[{width}]") <= 1 for a in accs):
            raise NotYet(f"sweep[{width}] = {accs}: accuracies lie in [0, 1].")
        if len(set(accs)) == 1:
            raise NotYet(f"At width {width}, every seed gave {accs[0]}: the runs did not use "
                         "their seed. Pass `seed=s` to `try_mlp`.")
    if len(sweep) < 3 or 256 not in sweep:
        raise NotYet("Try at least three widths, 256 among them (the baseline).")
    narrowest = min(sweep)
    diffs = [100 * (a - b) for a, b in zip(sweep[narrowest], sweep[256])]
    mean, low, high, _ = checks.interval(diffs)
    right = "no clear difference" if low <= 0 <= high else ("higher" if mean > 0 else "lower")
    if verdict not in ("higher", "lower", "no clear difference"):
        raise NotYet(f"Now the verdict: is {narrowest} units 'higher', 'lower' or 'no clear "
                     f"difference' against 256? Use checks.interval on the paired differences.")
    if verdict != right:
        raise NotYet(f"{narrowest} − 256 units on your seeds: mean {mean:+.2f} points, 95% "
                     f"interval {low:+.2f} to {high:+.2f}. Which verdict does the interval "
                     "support?")
    widths = sorted(sweep)
    fig, ax = checks.plt.subplots(figsize=(6, 2.6), layout="constrained")
    for i, seed in enumerate(seeds):  # a colour, line style and marker per seed
        ax.plot(widths, [sweep[w][i] for w in widths], alpha=0.8, label=f"seed {seed}",
                **_figures.style(i))
    means = [np.mean(sweep[w]) for w in widths]
    ax.plot(widths, means, color="#000000", marker="*", markersize=10, label="mean")
    ax.set(xscale="log", xlabel="hidden units", ylabel="test accuracy (1 epoch)")
    ax.legend()
    _figures.show(fig, "Test accuracy after 1 epoch against hidden units (log scale), on seeds "
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
    mean, low, high, _ = checks.interval(diffs)
    right = "no clear difference" if low <= 0 <= high else ("higher" if mean > 0 else "lower")
    if verdict != right:
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


EXERCISES = [relu, linear_collapse, count, deeper, one_unit, init, zero_init, sweep,
             lr_verdict]


def progress(notebook=""):
    """A table of the exercises (of one notebook: "01" or "02"): checked right, hints seen,
    solution seen."""
    rows = ["| exercise | | status | tries | hints seen | solution seen |",
            "|---|---|---|---|---|---|"]
    for ex in (ex for ex in EXERCISES if ex.number.startswith(notebook)):
        status = {None: "not tried", True: "✔ correct", False: "✘ not yet"}[ex.passed]
        rows.append(f"| {ex.number} | {ex.title} | {status} | {ex.tries} | "
                    f"{ex.hints_seen} of {len(ex.hints)} | "
                    f"{'yes' if ex.solution_seen else 'no'} |")
    return Markdown("\n".join(rows))
