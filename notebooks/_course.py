"""The course's environment, so that `utils.py` can stay short. Students need not read it.

1. The environment: Python 3.10-3.13, TensorFlow 2.20-2.21 with tf.keras as Keras 2
   (``TF_USE_LEGACY_KERAS=1``, as d2l 1.0.3 needs); d2l and tf-keras installed
   (``--no-deps``) where they are missing, as on Colab and Kaggle.
2. An epoch in one graph, for ``utils.Trainer``: d2l's steps, with what they plot kept.
3. Drawing d2l's training board once per epoch, at a size that fills a slide.

Files (the data, the stored spread, the code fingerprint) are in ``_base.py``, which
needs no TensorFlow. Importing this module changes nothing in d2l or matplotlib.
"""

import importlib
import importlib.metadata
import importlib.util
import os
import subprocess
import sys

import _base
import _figures
import numpy as np

# -- 1. Environment --------------------------------------------------------------
# These must be set before TensorFlow first loads Keras. The course's Jupyter
# kernel and environment set them too, so `from d2l import tensorflow as d2l` can come first.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.keras = Keras 2 (tf-keras)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TF's C++ info logs

SUPPORTED_TENSORFLOW = ((2, 20), (2, 21))  # 2.21 in the course env; 2.20 on Colab and Kaggle
D2L, CourseEnvironmentError, check_python = _base.D2L, _base.CourseEnvironmentError, \
    _base.check_python


RESTART = ("Restart the kernel (Jupyter: Kernel > Restart Kernel; Colab and Kaggle: "
           "Runtime > Restart session), then run the notebook from its first cell.")


def check_keras(keras_module_name):
    """Raise CourseEnvironmentError unless tf.keras is Keras 2 (tf-keras), as d2l 1.0.3 needs."""
    if not keras_module_name.startswith("tf_keras"):
        raise CourseEnvironmentError(
            f"TensorFlow's tf.keras is Keras 3 ({keras_module_name}), but d2l 1.0.3 "
            "needs Keras 2 (tf-keras). This kernel used tf.keras before "
            "TF_USE_LEGACY_KERAS=1 was set, and a running kernel cannot switch back. "
            + RESTART)


def install_missing(tf_version):
    """pip-install (--no-deps) d2l and tf-keras matching TensorFlow, where they are missing."""
    major, minor = (int(part) for part in tf_version.split(".")[:2])
    wanted = {"tf_keras": f"tf-keras~={major}.{minor}.0", "d2l": D2L}
    missing = [spec for module, spec in wanted.items()
               if importlib.util.find_spec(module) is None]
    if not missing:
        return []
    print("utils: installing", " and ".join(missing), "(--no-deps) into", sys.prefix)
    try:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        *missing], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        raise CourseEnvironmentError(
            f"Could not install {' and '.join(missing)} ({err}). This kernel needs them "
            "and the internet to fetch them once. On Kaggle, turn on Internet (Settings > "
            "Internet, on the right of the notebook); on Colab, reconnect the runtime; in the "
            "course environment, run `make install` instead.") from None
    importlib.invalidate_caches()
    return missing


def _import_tensorflow():
    """Import TensorFlow with tf.keras as Keras 2, installing d2l and tf-keras if missing."""
    check_python()
    try:
        import tensorflow as tf
    except ImportError as err:
        raise CourseEnvironmentError(
            f"TensorFlow is not installed for {sys.executable} ({err}). Pick the "
            "'MLP course' kernel, or run `make install` (or `pip install -r "
            "requirements.txt` in this environment).") from None
    (lo, hi), v = SUPPORTED_TENSORFLOW, tuple(int(p) for p in tf.__version__.split(".")[:2])
    if not lo <= v <= hi:
        print(f"utils: warning: TensorFlow {tf.__version__} is outside the course's "
              f"tested range {lo[0]}.{lo[1]}-{hi[0]}.{hi[1]}; it may still work.")
    install_missing(tf.__version__)
    try:
        check_keras(tf.keras.__name__)
    except ImportError as err:  # tf-keras missing: TensorFlow falls over on first use
        raise CourseEnvironmentError(
            f"{str(err).rstrip('.')}. The course needs tf-keras matching TensorFlow "
            f"{tf.__version__}: run `make install`.") from err
    return tf


tf = _import_tensorflow()
from d2l import tensorflow as d2l  # noqa: E402  (after the guard, on purpose)


# -- 2. An epoch in one graph ------------------------------------------------------
def compile_epoch(model, loader, step):
    """step over every batch of loader, compiled into one graph (no Python between batches).

    What step passes to model.plot is kept, a row per batch, instead of drawn (d2l's plot
    needs numbers; a graph has tensors). The returned function runs the pass and returns
    (steps, [(key, train, rows)]) for the caller to plot in d2l's order. While tracing,
    d2l's accuracy, whose reshape(Y, -1) a graph refuses, is the same formula written for a
    graph; a model's own accuracy is used as it is. A step that cannot be traced at all
    (one that calls .numpy(), say) runs eagerly, batch by batch, as in d2l.
    """
    keys, rows = [], []

    def captured(batch):
        """step(batch); return what it plotted: [(key, train, value)]."""
        calls = []
        model.plot = lambda key, value, train: calls.append((key, train, value))
        if type(model).accuracy is d2l.Classifier.accuracy:
            model.accuracy = graph_accuracy
        try:
            step(batch)
        finally:
            del model.plot
            model.__dict__.pop("accuracy", None)
        return calls

    def traced_step(i, batch):
        calls = captured(batch)
        if not rows:  # the first trace: a variable per plotted quantity, a row per batch
            with tf.init_scope():
                for key, train, value in calls:
                    value = tf.convert_to_tensor(value)
                    keys.append((key, train))
                    rows.append(tf.Variable(tf.zeros((len(loader), *value.shape), value.dtype),
                                            trainable=False))
        for row, (_, _, value) in zip(rows, calls, strict=True):
            row[i].assign(value)

    @tf.function
    def epoch():
        i = tf.constant(0)
        for batch in loader:
            traced_step(i, batch)
            i += 1
        return i

    def eagerly():
        plotted, steps = {}, 0
        for batch in loader:
            for key, train, value in captured(batch):
                plotted.setdefault((key, train), []).append(np.asarray(value))
            steps += 1
        return steps, [(key, train, np.stack(v)) for (key, train), v in plotted.items()]

    def run():
        if getattr(run, "eager", False):
            return eagerly()
        try:
            graph = epoch.get_concrete_function()  # traces once; nothing runs yet
        except Exception as err:  # noqa: BLE001  (whatever stops tracing: run it as d2l does)
            print(f"utils.Trainer: {step.__name__} cannot be compiled ({type(err).__name__}: "
                  f"{str(err).splitlines()[0][:200]}); it runs eagerly, batch by batch.")
            run.eager = True
            return eagerly()
        steps = int(graph())
        return steps, [(key, train, row.numpy()) for (key, train), row in zip(keys, rows)]

    return run


def graph_accuracy(Y_hat, Y, averaged=True):
    """d2l.Classifier.accuracy, with a reshape a graph accepts."""
    Y_hat = tf.reshape(Y_hat, (-1, Y_hat.shape[-1]))
    compare = tf.cast(tf.cast(tf.argmax(Y_hat, axis=1), Y.dtype) == tf.reshape(Y, [-1]),
                      tf.float32)
    return tf.reduce_mean(compare) if averaged else compare


# -- 3. The training board, drawn once per epoch ----------------------------------------
BOARD_SIZE = (5.5, 2.75)  # inches: fills a 16:9 slide (d2l's default is 3.5 x 2.5)


def draw_board(board):
    """Draw d2l's ProgressBoard once, with every curve so far, and show it in place (SVG,
    so it stays crisp when a slide scales it up), with its text alternative."""
    from IPython import display

    if board.fig is None:
        board.fig = d2l.plt.figure(figsize=BOARD_SIZE)
        d2l.plt.close(board.fig)  # shown below, as SVG, not again by the inline backend
    axes = board.fig.gca()
    axes.clear()
    plot_board(board, {key: axes for key in board.data})
    axes.set(xlim=board.xlim, xlabel="epoch")
    axes.legend()
    display.clear_output(wait=True)
    display.display(_figures.Figure(_figures.to_svg(board.fig),
                                    _figures.board_alt(board.data, board.xlim[1])))


def plot_board(board, axes, model=None, prefix=""):
    """Plot d2l's board data: each curve on axes[its name]; return {name: (xs, ys)}.

    One model: a colour, line style and marker per curve. Several (model = 0, 1, ...): the
    model's colour and marker, and a line style per curve (training solid, validation dashed).
    """
    plotted = {}
    for i, (key, line) in enumerate(board.data.items()):
        if key in axes:
            look = _figures.style(i if model is None else model)
            if model is not None:
                look["linestyle"] = "-" if key.startswith("train") else "--"
            xs, ys = [p.x for p in line], [float(p.y) for p in line]
            axes[key].plot(xs, ys, label=prefix + key, **look)
            plotted[key] = (xs, ys)
    return plotted
