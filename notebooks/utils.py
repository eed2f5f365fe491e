"""Helpers shared by the two MLP notebooks.

Import it before anything else in a notebook (``import utils``). It holds only
what both notebooks need:

1. the environment: Python 3.10-3.13, TensorFlow 2.20-2.21 with tf.keras as
   Keras 2 (``TF_USE_LEGACY_KERAS=1``, as d2l 1.0.3 needs), and d2l and tf-keras
   installed (``--no-deps``) where they are missing, as on Colab and Kaggle;
2. Fashion-MNIST, checked before training: copied from Debian's
   ``dataset-fashion-mnist`` package or downloaded once, then verified;
3. ``FashionMNIST``: d2l's data module with its loader fixed (shuffle, then batch);
4. seeding (``$COURSE_SEED``), a runtime report, exact evaluation, a stopwatch,
   and the checks the notebooks run, with tolerances in units of float round-off.

Run ``python utils.py`` to fetch and verify the data (that is what ``make data`` does).
"""

import functools
import gzip
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path

import numpy as np

# -- 1. Environment --------------------------------------------------------------
# These must be set before TensorFlow first loads Keras. The course's Jupyter
# kernel and environment set them too, so `from d2l import tensorflow as d2l` can come first.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.keras = Keras 2 (tf-keras)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TF's C++ info logs

SUPPORTED_PYTHON = ((3, 10), (3, 13))
SUPPORTED_TENSORFLOW = ((2, 20), (2, 21))  # 2.21 in the course env; 2.20 on Colab and Kaggle
D2L = "d2l==1.0.3"  # always with --no-deps: its own pins (numpy==1.23.5, ...) do not install


class CourseEnvironmentError(RuntimeError):
    """This Python or Keras cannot run the course; the message says what to do."""


RESTART = ("Restart the kernel (Jupyter: Kernel > Restart Kernel; Colab and Kaggle: "
           "Runtime > Restart session), then run the notebook from its first cell.")


def check_python(version=sys.version_info):
    """Raise CourseEnvironmentError unless Python is 3.10-3.13 (TensorFlow 2.21's range)."""
    (lo, hi), v = SUPPORTED_PYTHON, tuple(version[:2])
    if not lo <= v <= hi:
        raise CourseEnvironmentError(
            f"Python {v[0]}.{v[1]} cannot run this course: TensorFlow 2.21 supports "
            f"Python {lo[0]}.{lo[1]}-{hi[0]}.{hi[1]}. Install one of those (for example "
            "with conda: `conda env create -f environment.yml`), then `make clean lab`."
        )


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
            "and the internet to fetch them once; in the course environment, run "
            "`make install` instead.") from None
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

# Figures for slides: SVG, so they stay crisp when a slide scales them up; and d2l's
# training board wider (5.5 x 2.75 in, d2l's default is 3.5 x 2.5) to fill a 16:9 slide.
d2l.use_svg_display()
d2l.ProgressBoard.__init__.__defaults__ = tuple(
    (5.5, 2.75) if default == (3.5, 2.5) else default
    for default in d2l.ProgressBoard.__init__.__defaults__)

# -- 2. Fashion-MNIST, verified ------------------------------------------------
# sha256 of each file's *decompressed* bytes (the same whichever mirror gzipped
# it), and how many items it holds.
FASHION_MNIST = {
    "train-images-idx3-ubyte.gz": (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 60_000),
    "train-labels-idx1-ubyte.gz": (
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_000),
    "t10k-images-idx3-ubyte.gz": (
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 10_000),
    "t10k-labels-idx1-ubyte.gz": (
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_000),
}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist
DOWNLOAD_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


class DataError(RuntimeError):
    """Fashion-MNIST is missing or damaged; the message names the file and the fix."""


def keras_home():
    """Keras's cache folder: $KERAS_HOME, or ~/.keras."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def data_dir():
    """Where Fashion-MNIST lives: <keras_home>/datasets/fashion-mnist."""
    return keras_home() / "datasets" / "fashion-mnist"


def verify_file(path):
    """Check one Fashion-MNIST file: gzip intact, 28x28 images or labels 0-9, sha256."""
    path = Path(path)
    name = path.name.removesuffix(".part")
    expected_sha, count = FASHION_MNIST[name]
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(_damaged(path, f"it is not a complete gzip file ({err})")) from None
    is_images = "images" in name
    header = (2051, count, 28, 28) if is_images else (2049, count)
    offset = 4 * len(header)
    found = tuple(int.from_bytes(raw[i:i + 4], "big") for i in range(0, offset, 4))
    if found != header or len(raw) != offset + count * (784 if is_images else 1):
        raise DataError(_damaged(path, f"its header/size is {found}, expected {header}"))
    if not is_images and max(raw[offset:]) > 9:
        raise DataError(_damaged(path, "it holds labels outside 0-9"))
    if hashlib.sha256(raw).hexdigest() != expected_sha:
        raise DataError(_damaged(path, "its contents do not match the published sha256"))


def _damaged(path, why):
    return (
        f"Fashion-MNIST file {path} is damaged: {why}. It was left in place. "
        f"Move it away (or delete it yourself), then run `make data` to copy a fresh "
        f"one from {DEBIAN_DIR} or download it again."
    )


def _download(name, target):
    """Download one file to target (via a .part file), or raise DataError."""
    part = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(DOWNLOAD_URL + name, timeout=15) as r, open(part, "wb") as f:
            shutil.copyfileobj(r, f)
    except OSError as err:  # URLError, timeouts and refused connections are OSErrors
        part.unlink(missing_ok=True)  # our own partial download, never a user's file
        raise DataError(
            f"Fashion-MNIST is not on this machine and could not be downloaded "
            f"({getattr(err, 'reason', err)}). Either install Debian's copy "
            f"(`sudo apt-get install dataset-fashion-mnist`, files in {DEBIAN_DIR}), "
            f"or connect to the internet once and run `make data`. "
            f"The files go to {target.parent}."
        ) from None
    verify_file(part)
    part.rename(target)


def prepare_fashion_mnist(quiet=False):
    """Make sure the four files are in Keras's cache and intact; return the folder.

    Missing files are copied from Debian's package when it is installed, and
    downloaded otherwise. Files already there are verified, never replaced.
    """
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name in FASHION_MNIST:
        target = folder / name
        if not target.exists():
            source = DEBIAN_DIR / name
            if source.exists():
                if not quiet:
                    print(f"copying {source} -> {target}")
                part = target.with_name(target.name + ".part")  # complete files only
                shutil.copyfile(source, part)
                part.rename(target)
            else:
                if not quiet:
                    print(f"downloading {DOWNLOAD_URL + name} -> {target}")
                _download(name, target)
        verify_file(target)
    return folder


# -- 3. The data module ----------------------------------------------------------
class FashionMNIST(d2l.FashionMNIST):
    """d2l's Fashion-MNIST module, with verified files and a fixed training loader.

    d2l 1.0.3's TensorFlow loader batches first and shuffles second, so the same
    256 images stay together in every epoch. This one shuffles the 60,000
    examples, then batches them: new batches every epoch. `seed` (default: the
    course's SEED) fixes that order, so models trained in one run see the same batches.
    """

    def __init__(self, batch_size=64, resize=(28, 28), seed=None):
        d2l.DataModule.__init__(self)
        self.save_hyperparameters()
        self.seed = SEED if seed is None else seed
        prepare_fashion_mnist(quiet=True)
        self.train, self.val = tf.keras.datasets.fashion_mnist.load_data(
            cache_dir=str(keras_home()))

    def get_dataloader(self, train):
        X, y = self.train if train else self.val
        data = tf.data.Dataset.from_tensor_slices((X[..., None], y.astype("int32")))
        if train:
            data = data.shuffle(len(X), seed=self.seed)  # shuffle examples...
        data = data.batch(self.batch_size)  # ...then batch
        data = data.map(lambda X, y: (tf.cast(X, tf.float32) / 255, y))
        if tuple(self.resize) != (28, 28):
            data = data.map(lambda X, y: (tf.image.resize(X, self.resize), y))
        return data.prefetch(tf.data.AUTOTUNE)


# -- 4. The from-scratch model of notebook 01 -------------------------------------
class MLPScratch(d2l.Classifier):
    """Notebook 01's MLP in one class, so notebook 02 can compare against it.

    Notebook 01 builds the same class step by step and checks it against this one.
    """

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


# -- 5. Seeding, runtime report, round-off, checks --------------------------------
SEED = int(os.environ.get("COURSE_SEED", "0"))  # every seeded run; COURSE_SEED=3 picks another


def set_seed(seed=None):
    """Seed Python, NumPy and TensorFlow (default: SEED), so a run on the CPU repeats exactly."""
    tf.keras.utils.set_random_seed(SEED if seed is None else seed)


def device_name():
    """The device TensorFlow trains on here: 'GPU x1', or 'CPU (2 cores)'."""
    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU x{len(gpus)}" if gpus else f"CPU ({os.cpu_count()} cores)"


@functools.cache  # the devices do not change while a kernel runs
def matmul_precision():
    """This device's float32 matmul precision: its name and its unit round-off u.

    float32 keeps 24 significant bits, so one rounding moves a value by at most
    u = 2**-24 (6e-8) of itself. NVIDIA GPUs since Ampere (compute capability 8.0)
    round matmul inputs to TF32 by default: 11 bits, u = 2**-11 (4.9e-4).
    """
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability and capability >= (8, 0) and \
                tf.config.experimental.tensor_float_32_execution_enabled():
            return "TF32", 2.0 ** -11
    return "float32", 2.0 ** -24


def runtime_report():
    """One line: the device, its matmul precision, the seed and the library versions."""
    return (f"{device_name()}, {matmul_precision()[0]} | seed {SEED} | "
            f"Python {sys.version.split()[0]} | TensorFlow {tf.__version__} | "
            f"tf-keras {importlib.metadata.version('tf-keras')} | "
            f"d2l {importlib.metadata.version('d2l')}")


# Two computations of the same float32 formula may round differently (another
# kernel, thread count or summation order). We compare them in units of u: on
# every CPU variant measured (`make spread`), they differed by at most 2 u.
ROUNDOFF_LIMIT = 32  # u; 16x the largest difference measured


def roundoff_units(a, b):
    """How far b is from a, relative to a's size, in units of u: ||a - b|| / ||a|| / u.

    a and b are tensors, or lists of tensors (all of a model's gradients, say).
    """
    a, b = ([np.asarray(t, np.float64) for t in (ts if isinstance(ts, (list, tuple)) else [ts])]
            for ts in (a, b))
    diff = math.sqrt(sum(np.sum((x - y) ** 2) for x, y in zip(a, b, strict=True)))
    size = math.sqrt(sum(np.sum(x ** 2) for x in a))
    return diff / size / matmul_precision()[1]


def check(name, value, low=-math.inf, high=math.inf):
    """Assert low <= value <= high, with a message naming the check.

    When $COURSE_RECORD names a file, the value and its limits are appended to it
    as one JSON line: `make spread` collects these from many runs.
    """
    if os.environ.get("COURSE_RECORD"):
        with open(os.environ["COURSE_RECORD"], "a", encoding="utf-8") as f:
            f.write(json.dumps({"check": name, "value": value, "low": low, "high": high,
                                "seed": SEED}) + "\n")
    assert low <= value <= high, f"{name}: {value:.4g} is outside [{low}, {high}]"


def evaluate(model, data, train=False):
    """Exact accuracy and mean cross-entropy over every test image (or training image).

    d2l's board shows the mean of per-batch accuracies instead; its last test
    batch holds only 16 images, so that mean is slightly off.
    """
    correct, loss_sum, n = 0, 0.0, 0
    for X, y in data.get_dataloader(train):
        logits = model(X)
        loss_sum += float(tf.reduce_sum(
            tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)))
        correct += int(tf.reduce_sum(tf.cast(tf.argmax(logits, 1, tf.int32) == y, tf.int32)))
        n += len(y)
    return correct / n, loss_sum / n


class Stopwatch:
    """Time a block: `with Stopwatch() as t: ...`, then read `t.seconds`."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def main():
    """`python utils.py` (what `make data` runs): fetch and verify the data, or explain."""
    try:
        print(f"Fashion-MNIST verified in {prepare_fashion_mnist()}")
    except DataError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
