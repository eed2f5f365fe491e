"""What the course needs of Python, TensorFlow and Keras, checked with a fix in every error.

Facts the rest reads (the kernel's name, the Pythons, the d2l pin) and the installs a bare
kernel (Colab, Kaggle) needs. No TensorFlow here: ``course.keras2`` imports it, checked.
"""

import importlib
import importlib.util
import subprocess
import sys

KERNEL = "mlp-course"  # the Jupyter kernel the notebooks name (.ci/course_env.py installs it)
SUPPORTED_PYTHON = ((3, 10), (3, 13))  # TensorFlow 2.21's range
SUPPORTED_TENSORFLOW = ((2, 20), (2, 21))  # 2.21 in the course env; 2.20 on Colab and Kaggle
D2L = "d2l==1.0.3"  # always with --no-deps: its own pins (numpy==1.23.5, ...) do not install
SCIPY = "scipy~=1.13"  # t quantiles and p-values; Colab and Kaggle have it already

RESTART = ("Restart the kernel (Jupyter: Kernel > Restart Kernel; Colab and Kaggle: "
           "Runtime > Restart session), then run the notebook from its first cell.")


class CourseEnvironmentError(RuntimeError):
    """This Python or Keras cannot run the course; the message says what to do."""


def check_python(version=sys.version_info):
    """Raise CourseEnvironmentError unless Python is 3.10-3.13 (TensorFlow 2.21's range)."""
    (lo, hi), v = SUPPORTED_PYTHON, tuple(version[:2])
    if not lo <= v <= hi:
        raise CourseEnvironmentError(
            f"Python {v[0]}.{v[1]} cannot run this course: TensorFlow 2.21 supports "
            f"Python {lo[0]}.{lo[1]}-{hi[0]}.{hi[1]}. Install one of those (for example "
            "with conda: `conda env create -f environment.yml`), then `make clean lab`.")


def check_keras(keras_module_name):
    """Raise CourseEnvironmentError unless tf.keras is Keras 2 (tf-keras), as d2l 1.0.3 needs."""
    if not keras_module_name.startswith("tf_keras"):
        raise CourseEnvironmentError(
            f"TensorFlow's tf.keras is Keras 3 ({keras_module_name}), but d2l 1.0.3 "
            "needs Keras 2 (tf-keras). This kernel used tf.keras before "
            "TF_USE_LEGACY_KERAS=1 was set, and a running kernel cannot switch back. "
            + RESTART)


def install_missing(tf_version):
    """pip-install (--no-deps) d2l, tf-keras matching TensorFlow and SciPy, where missing."""
    major, minor = (int(part) for part in tf_version.split(".")[:2])
    wanted = {"tf_keras": f"tf-keras~={major}.{minor}.0", "d2l": D2L, "scipy": SCIPY}
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
