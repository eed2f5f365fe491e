"""The exercises of 01-mlp-scratch: ReLU, the collapse, counting, depth, one hidden unit."""

import numpy as np
import utils

from course import checks
from course.exercises.core import Exercise, NotYet, calls, choice, number
from course.exercises.core import progress as _progress
from course.keras2 import tf


def _param_count(sizes):
    """Parameters of an MLP with these layer sizes (input first), counted by Keras."""
    net = tf.keras.Sequential([tf.keras.layers.Dense(n) for n in sizes[1:]])
    net.build((None, sizes[0]))
    return net.count_params()


def _relu(relu2):
    # clip(X, 0, inf) and leaky_relu(X, 0) are a max by other names
    built_in = calls(relu2) & {"maximum", "relu", "ReLU", "relu6", "leaky_relu", "Activation",
                                "max", "clip_by_value", "clip"}
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
    if out.dtype == tf.bool:
        raise NotYet(f"`relu2(X)` has dtype bool, X has {X.dtype.name}: a comparison gives "
                     "booleans; turn a mask into numbers with `tf.cast(mask, X.dtype)`.")
    if out.dtype != X.dtype:
        raise NotYet(f"`relu2(X)` has dtype {out.dtype.name}, X has {X.dtype.name}: a ReLU "
                     "gives back numbers of its input's dtype. Cast to `X.dtype`, not to "
                     f"{out.dtype.name}.")
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
        if np.allclose(b, b2):
            off = "it is b2 only: b1 still goes through W2"
        elif np.allclose(b, b1 @ W2):
            off = "it is b1 W2 only: b2 is still added after the second layer"
        else:
            off = "b1 passes through W2 as everything else in the first layer does, then b2"
            off += " is added"
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
     "`A @ B`, between matrices only: b1 is a vector, so `b1 @ W2` raises. Make it a "
     "1 × 256 row first (`b1[None, :]`), or use `tf.tensordot(b1, W2, axes=1)`."],
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


def _layers(variables, sizes):
    """The (W, b) of each layer, found by shape whatever order they were created in, or
    NotYet naming what is missing."""
    matrices = [v for v in variables if len(v.shape) == 2]
    vectors = [v for v in variables if len(v.shape) == 1]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), 1):
        W = [m for m in matrices if tuple(m.shape) == (n_in, n_out)]
        b = [v for v in vectors if v.shape[0] == n_out]
        if len(W) != 1:
            raise NotYet(f"Layer {i} needs one weight matrix of shape ({n_in}, {n_out}) (its "
                         f"inputs, its outputs); the model has {len(W)}. Its matrices: "
                         f"{[tuple(m.shape) for m in matrices]}.")
        if len(b) != 1:
            raise NotYet(f"Layer {i} needs one bias vector of {n_out} entries, one per "
                         f"output; the model has {len(b)}. Its vectors: "
                         f"{[tuple(v.shape) for v in vectors]}.")
        layers.append((W[0], b[0]))
    return layers


def _deeper(model_class):
    utils.set_seed(1)
    sizes = [784, 256, 128, 10]
    model = model_class(num_inputs=784, num_outputs=10, num_hiddens_1=256, num_hiddens_2=128,
                        lr=0.1)
    variables = list(model.trainable_variables)
    if len(variables) != 6:
        raise NotYet(f"The model has {len(variables)} trainable variables; it needs six: a "
                     "weight matrix and a bias per layer (a tf.Variable each).")
    layers = _layers(variables, sizes)
    for i, (W, b) in enumerate(layers, 1):
        std = float(tf.math.reduce_std(W))
        if std == 0:
            raise NotYet(f"Layer {i}'s weights are all zeros. Zero weights are symmetric: "
                         "every hidden unit computes the same thing and gets the same "
                         "gradient, so they never become different. Draw them from "
                         "N(0, sigma²).")
        if abs(std / 0.01 - 1) > 0.1:
            raise NotYet(f"Layer {i}'s weights have standard deviation {std:.3g}, not "
                         "sigma = 0.01: multiply the normal draws by sigma, as MLPScratch does.")
        if tf.reduce_any(b != 0):
            raise NotYet(f"Layer {i}'s bias should start at zero, as in MLPScratch.")
    for i, (_, b) in enumerate(layers):  # nonzero biases, so that a missing one shows
        b.assign(tf.random.stateless_normal(b.shape, seed=(i, 7)))
    X = tf.random.stateless_normal((8, 28, 28, 1), seed=(1, 2))
    got = model(X)
    (W1, b1), (W2, b2), (W3, b3) = layers
    H1 = tf.nn.relu(tf.reshape(X, (-1, 784)) @ W1 + b1)
    want = tf.nn.relu(H1 @ W2 + b2) @ W3 + b3
    if tuple(got.shape) != (8, 10):
        raise NotYet(f"8 images gave logits of shape {tuple(got.shape)}, expected (8, 10): "
                     "flatten the images first, as in the lecture.")
    if checks.roundoff_units(want, got) <= checks.ROUNDOFF_LIMIT:
        return ("Six variables, drawn like MLPScratch's, and the logits of two ReLU hidden "
                "layers.")
    candidates = [
        (tf.nn.relu((tf.reshape(X, (-1, 784)) @ W1 + b1) @ W2 + b2) @ W3 + b3,
         "There is no ReLU after the first hidden layer: without it, layers 1 and 2 "
         "collapse into one affine map (exercise 01-2)."),
        ((H1 @ W2 + b2) @ W3 + b3,
         "There is no ReLU after the second hidden layer: without it, layers 2 and 3 "
         "collapse into one affine map (exercise 01-2)."),
        (tf.nn.relu(want), "There is a ReLU on the output: logits may be negative, so leave "
         "the last layer affine."),
        (tf.nn.relu(H1 @ W2) @ W3 + b3, "The second hidden layer leaves out its bias."),
        (tf.nn.relu(H1 @ W2 + b2) @ W3, "The output layer leaves out its bias."),
    ]
    for wrong, why in candidates:
        if checks.roundoff_units(wrong, got) <= checks.ROUNDOFF_LIMIT:
            raise NotYet(why)
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
    why = choice(why)
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


EXERCISES = [relu, linear_collapse, count, deeper, one_unit]


def progress():
    """How far you are with this notebook's exercises."""
    return _progress(EXERCISES)
