"""The helpers the lecture calls: data, scratch model, trainer, seeds, evaluation, plots."""

import importlib.metadata
import os
import sys
import time

from course import data as _data
from course import figures as _figures
from course import lecture as _lecture
from course import training as _training
from course.keras2 import d2l, tf  # TensorFlow with Keras 2, checked; d2l after it


class FashionMNIST(d2l.FashionMNIST):
    """d2l's Fashion-MNIST, verified, with a loader that shuffles, then batches: new batches
    every epoch (d2l 1.0.3 batches first). `seed` (default SEED) fixes the order."""

    def __init__(self, batch_size=64, resize=(28, 28), seed=None):
        d2l.DataModule.__init__(self)
        self.save_hyperparameters()
        self.seed = SEED if seed is None else seed
        self.train, self.val = _data.load_fashion_mnist()  # Keras's cache, verified

    def get_dataloader(self, train, batch_size=None):
        """d2l's loader of the training or the test set; batch_size: default self.batch_size."""
        X, y = self.train if train else self.val
        X, y = tf.constant(X[..., None]), tf.constant(y, tf.int32)
        n, size = len(X), batch_size or self.batch_size

        def order(seed):  # an epoch's order of the examples: shuffled anew, for training
            if not train:
                return tf.range(n)
            return tf.random.experimental.stateless_shuffle(tf.range(n), tf.stack([seed, 0]))

        def batch(indices, b):  # batch b of an epoch: the b-th slice of its order
            i = indices[b * size:(b + 1) * size]
            X_b, y_b = tf.cast(tf.gather(X, i), tf.float32) / 255, tf.gather(y, i)
            return (X_b if tuple(self.resize) == (28, 28) else
                    tf.image.resize(X_b, self.resize)), y_b

        seeds = tf.data.Dataset.random(self.seed, rerandomize_each_iteration=True)
        return _training.loader(seeds, order, batch, steps=-(-n // size))  # last: the rest

    def visualize(self, batch, nrows=1, ncols=8, labels=()):
        """d2l's visualize, shown with a text alternative that names each image's class."""
        labels = list(labels) or self.text_labels(batch[1])
        super().visualize(batch, nrows, ncols, labels)
        _figures.show(d2l.plt.gcf(), _figures.images_alt(labels))


# Notebook 01's MLP, built from 01's own cells (its class, relu and forward), for notebook 02.
MLPScratch = _lecture.define("01-mlp-scratch.ipynb", "MLPScratch", {"d2l": d2l, "tf": tf})


class Trainer(d2l.Trainer):
    """d2l's Trainer, each epoch's steps and validation pass compiled by `tf.function`: no
    Python between batches (the course's loader builds its batches inside that graph, as
    its tf.data pipeline would). Same contract: it calls the model's `training_step` and
    `validation_step` (overrides work), `prepare_batch`, clips gradients if gradient_clip_val
    > 0, and what they `plot` reaches d2l's board, drawn once an epoch. `seconds`: last fit."""

    def fit(self, model, data):
        self.graphs, self.show_board, model.board.display = {}, model.board.display, False
        start = time.perf_counter()
        try:
            super().fit(model, data)  # d2l: set up, then fit_epoch() max_epochs times
        finally:
            model.board.display = self.show_board
        self.seconds = time.perf_counter() - start

    def train_step(self, batch):
        """d2l's training step with its update, as fit_epoch takes it."""
        with tf.GradientTape() as tape:
            loss = self.model.training_step(self.prepare_batch(batch))
        grads = tape.gradient(loss, self.model.trainable_variables)
        if self.gradient_clip_val > 0:
            grads = self.clip_gradients(self.gradient_clip_val, grads)
        self.optim.apply_gradients(zip(grads, self.model.trainable_variables))

    def validation_step(self, batch):  # d2l's, as fit_epoch takes it
        self.model.validation_step(self.prepare_batch(batch))

    def run(self, step, loader, counter):
        """Every batch of loader through step in one graph; then plot what it plotted."""
        if step.__name__ not in self.graphs:  # traced on the first epoch, reused after
            self.graphs[step.__name__] = _training.compile_epoch(self.model, loader, step)
        steps, plotted = self.graphs[step.__name__]()
        for i in range(steps):
            for key, train, values in plotted:
                self.model.plot(key, tf.constant(values[i]), train)
            setattr(self, counter, getattr(self, counter) + 1)

    def fit_epoch(self):
        self.model.training = True
        self.run(self.train_step, self.train_dataloader, "train_batch_idx")
        if self.val_dataloader is not None:
            self.model.training = False
            self.run(self.validation_step, self.val_dataloader, "val_batch_idx")
        if self.show_board:  # once an epoch: d2l's own board redraws at every point
            _figures.draw_board(self.model.board)


SEED = int(os.environ.get("COURSE_SEED", "0"))  # every seeded run; COURSE_SEED=3 picks another


def set_seed(seed=None):
    """Seed Python, NumPy and TensorFlow (default SEED): a run on a CPU repeats exactly."""
    tf.keras.utils.set_random_seed(SEED if seed is None else seed)


def device_name():
    """The device TensorFlow trains on here: 'GPU x1', or 'CPU (2 cores)': the cores this
    process may run on, as TensorFlow counts them (a container or `taskset` can allow fewer
    than the machine has)."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return f"GPU x{len(gpus)}"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"CPU ({cores} core{'s' if cores != 1 else ''})"


def runtime_report():
    """One line: the device, the seed and the library versions."""
    return (f"{device_name()} | seed {SEED} | Python {sys.version.split()[0]} | TensorFlow "
            f"{tf.__version__} | tf-keras {importlib.metadata.version('tf-keras')} | d2l "
            f"{importlib.metadata.version('d2l')}")


EVALUATION_BATCH = 4096  # 16 x training's batch: a 16th of the eager steps, 1.8-2.6 x faster


def evaluate(model, data, train=False):
    """Exact accuracy and mean cross-entropy over every test image (or training image)."""
    correct, loss_sum, n = 0, 0.0, 0
    for X, y in data.get_dataloader(train, EVALUATION_BATCH):
        logits, n = model(X), n + len(y)
        loss_sum += float(tf.reduce_sum(
            tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)))
        correct += int(tf.reduce_sum(tf.cast(tf.argmax(logits, 1, tf.int32) == y, tf.int32)))
    return correct / n, loss_sum / n


def plot_curves(models):
    """Board data of models: loss left, accuracy right; colour, marker per model; line per curve."""
    fig, axes = d2l.plt.subplots(1, 2, figsize=(7.5, 3), layout="constrained")
    panels = {"train_loss": axes[0], "val_loss": axes[0], "val_acc": axes[1]}
    curves = {name: _figures.plot_board(model.board, panels, i, f"{name} ")
              for i, (name, model) in enumerate(models.items())}
    for ax, label in zip(axes, ["loss", "validation accuracy"]):
        ax.set(xlabel="epoch", ylabel=label)
        ax.legend()
    _figures.show(fig, _figures.curves_alt(curves))
