"""TensorFlow with tf.keras as Keras 2 (tf-keras), as d2l 1.0.3 needs, checked; d2l after it.

``from course.keras2 import d2l, tf``: Python and TensorFlow are in the course's range,
d2l, tf-keras and SciPy are installed where missing (Colab, Kaggle), and tf.keras is
Keras 2, or the error says what to do. Importing it changes nothing in d2l or matplotlib.
"""

import gc
import os
import sys

from course import environment

# These must be set before TensorFlow first loads Keras. The course's Jupyter
# kernel and environment set them too, so `from d2l import tensorflow as d2l` can come first.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.keras = Keras 2 (tf-keras)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TF's C++ info logs


def _import_tensorflow():
    """Import TensorFlow with tf.keras as Keras 2, installing d2l and tf-keras if missing."""
    environment.check_python()
    try:
        import tensorflow as tf
    except ImportError as err:
        raise environment.CourseEnvironmentError(
            f"TensorFlow is not installed for {sys.executable} ({err}). Pick the "
            "'MLP course' kernel, or run `make install` (or `pip install -r "
            "requirements.txt` in this environment).") from None
    (lo, hi) = environment.SUPPORTED_TENSORFLOW
    v = tuple(int(p) for p in tf.__version__.split(".")[:2])
    if not lo <= v <= hi:
        print(f"utils: warning: TensorFlow {tf.__version__} is outside the course's "
              f"tested range {lo[0]}.{lo[1]}-{hi[0]}.{hi[1]}; it may still work.")
    environment.install_missing(tf.__version__)
    try:
        environment.check_keras(tf.keras.__name__)
    except ImportError as err:  # tf-keras missing: TensorFlow falls over on first use
        raise environment.CourseEnvironmentError(
            f"{str(err).rstrip('.')}. The course needs tf-keras matching TensorFlow "
            f"{tf.__version__}: run `make install`.") from err
    return tf


# TensorFlow, tf-keras and d2l make some 540,000 objects as they load. Python's collector,
# set off by their number, would walk them all six times on the way (0.5 s of a 3 s import,
# measured), so it waits; then it leaves them out of later walks: they live as long as Python.
_collecting = gc.isenabled()
gc.disable()
try:
    tf = _import_tensorflow()
    from d2l import tensorflow as d2l  # noqa: F401  (after the guard, on purpose; re-exported)
finally:
    gc.freeze()
    if _collecting:
        gc.enable()
