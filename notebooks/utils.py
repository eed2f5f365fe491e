"""The helpers both MLP notebooks call: 1. the data; 2. the scratch model and the trainer;
3. seeds and devices; 4. evaluating and plotting. How the notebooks check their claims is in
``checks.py``; the plumbing in ``_course.py`` and ``_base.py``."""

import importlib.metadata
import os
import sys
import time

import _base
import _course
from _course import d2l, tf  # TensorFlow with Keras 2, checked; d2l after it


class FashionMNIST(d2l.FashionMNIST):
    """d2l's Fashion-MNIST, verified, with a loader that shuffles, then batches: new batches
    every epoch (d2l 1.0.3 batches first). `seed` (default SEED) fixes the order."""

    def __init__(self, batch_size=64, resize=(28, 28), seed=None):
        d2l.DataModule.__init__(self)
        self.save_hyperparameters()
        self.seed = SEED if seed is None else seed
        _base.prepare_fashion_mnist(quiet=True)
        self.train, self.val = tf.keras.datasets.fashion_mnist.load_data(
            cache_dir=str(_base.keras_home()))

    def get_dataloader(self, train):
        X, y = self.train if train else self.val
        X, y = tf.constant(X[..., None]), tf.constant(y, tf.int32)
        data = tf.data.Dataset.range(len(X))  # shuffle indices, not images: 2x faster
        if train:
            data = data.shuffle(len(X), seed=self.seed)  # shuffle examples...
        data = data.batch(self.batch_size)  # ...then batch
        data = data.map(lambda i: (tf.cast(tf.gather(X, i), tf.float32) / 255, tf.gather(y, i)))
        if tuple(self.resize) != (28, 28):
            data = data.map(lambda X, y: (tf.image.resize(X, self.resize), y))
        return data.prefetch(tf.data.AUTOTUNE)


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
    """d2l's Trainer, each step compiled by `tf.function`. Same contract: it calls the model's
    `training_step` (compiled) and `validation_step` (overrides work), `prepare_batch`, and
    clips gradients if `gradient_clip_val > 0`. `seconds`: the wall time of the last fit."""

    def fit(self, model, data):
        self.graph, self.plotted = tf.function(self.step, reduce_retracing=True), []
        self.show_board, model.board.display = model.board.display, False
        start = time.perf_counter()
        try:
            super().fit(model, data)  # d2l: set up, then fit_epoch() max_epochs times
        finally:
            model.board.display = self.show_board
        self.seconds = time.perf_counter() - start

    def step(self, batch):
        """A training step with its update, as it is traced into a graph."""
        keys, values = self.plotted, []
        keys.clear()
        self.model.plot = lambda key, value, train: keys.append((key, train)) or \
            values.append(value)  # d2l's plot needs numbers; a graph has tensors
        try:
            with tf.GradientTape() as tape:
                loss = self.model.training_step(batch)
        finally:
            del self.model.plot
        grads = tape.gradient(loss, self.model.trainable_variables)
        if self.gradient_clip_val > 0:
            grads = self.clip_gradients(self.gradient_clip_val, grads)
        self.optim.apply_gradients(zip(grads, self.model.trainable_variables))
        return values

    def run(self, batch):
        """One compiled training step on batch, then plot what it plotted."""
        for (key, train), value in zip(self.plotted, self.graph(self.prepare_batch(batch))):
            self.model.plot(key, value, train)

    def fit_epoch(self):
        self.model.training = True
        for batch in self.train_dataloader:
            self.run(batch)
            self.train_batch_idx += 1
        self.model.training = False
        for batch in self.val_dataloader:  # eager: d2l's accuracy cannot be traced
            self.model.validation_step(self.prepare_batch(batch))
            self.val_batch_idx += 1
        if self.show_board:  # once an epoch: d2l's own board redraws at every point
            _course.draw_board(self.model.board)


SEED = int(os.environ.get("COURSE_SEED", "0"))  # every seeded run; COURSE_SEED=3 picks another


def set_seed(seed=None):
    """Seed Python, NumPy and TensorFlow (default SEED): a run on a CPU repeats exactly."""
    tf.keras.utils.set_random_seed(SEED if seed is None else seed)


def device_name():
    """The device TensorFlow trains on here: 'GPU x1', or 'CPU (2 cores)'."""
    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU x{len(gpus)}" if gpus else f"CPU ({os.cpu_count()} cores)"


def runtime_report():
    """One line: the device, the seed and the library versions."""
    return (f"{device_name()} | seed {SEED} | Python {sys.version.split()[0]} | TensorFlow "
            f"{tf.__version__} | tf-keras {importlib.metadata.version('tf-keras')} | d2l "
            f"{importlib.metadata.version('d2l')}")


def evaluate(model, data, train=False):
    """Exact accuracy and mean cross-entropy over every test image (or training image)."""
    correct, loss_sum, n = 0, 0.0, 0
    for X, y in data.get_dataloader(train):
        logits, n = model(X), n + len(y)
        loss_sum += float(tf.reduce_sum(
            tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)))
        correct += int(tf.reduce_sum(tf.cast(tf.argmax(logits, 1, tf.int32) == y, tf.int32)))
    return correct / n, loss_sum / n


def plot_curves(models):
    """d2l's board data for several models: losses on the left, accuracy on the right."""
    fig, axes = d2l.plt.subplots(1, 2, figsize=(7.5, 3), layout="constrained")
    for (name, model), style in zip(models.items(), ["-", "--", ":"]):
        _course.plot_board(model.board, {"train_loss": axes[0], "val_loss": axes[0],
                                         "val_acc": axes[1]}, style, f"{name} ")
    for ax, label in zip(axes, ["loss", "validation accuracy"]):
        ax.set(xlabel="epoch", ylabel=label)
        ax.legend()
    d2l.plt.show()
