"""The course's environment, so that `utils.py` can stay short. Students need not read it.

1. The environment: Python 3.10-3.13, TensorFlow 2.20-2.21 with tf.keras as Keras 2
   (``TF_USE_LEGACY_KERAS=1``, as d2l 1.0.3 needs); d2l and tf-keras installed
   (``--no-deps``) where they are missing, as on Colab and Kaggle.
2. Drawing d2l's training board once per epoch, at a size that fills a slide.

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

# -- 2. The training board, drawn once per epoch ----------------------------------------
BOARD_SIZE = (5.5, 2.75)  # inches: fills a 16:9 slide (d2l's default is 3.5 x 2.5)


def draw_board(board):
    """Draw d2l's ProgressBoard once, with every curve so far, and show it in place (SVG,
    so it stays crisp when a slide scales it up)."""
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
    display.display(display.SVG(_svg(board.fig)))


def plot_board(board, axes, style=None, prefix=""):
    """Plot d2l's board data: each curve on axes[its name], in the board's style or style."""
    for (key, line), ls, color in zip(board.data.items(), board.ls, board.colors):
        if key in axes:
            axes[key].plot([p.x for p in line], [p.y for p in line], style or ls,
                           color=None if style else color, label=prefix + key)


def _svg(fig):
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()
