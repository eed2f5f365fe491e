"""The course's plumbing, so that `utils.py` can stay short. Students need not read it.

1. The environment: Python 3.10-3.13, TensorFlow 2.20-2.21 with tf.keras as Keras 2
   (``TF_USE_LEGACY_KERAS=1``, as d2l 1.0.3 needs); d2l and tf-keras installed
   (``--no-deps``) where they are missing, as on Colab and Kaggle.
2. Fashion-MNIST, checked before training: copied from Debian's
   ``dataset-fashion-mnist`` package or downloaded once, then verified.
3. The stored spread (``spread.json``, written by ``make spread``): reading it, and
   recording this run's measurements when ``$COURSE_RECORD`` names a file.
4. Drawing d2l's training board once per epoch.
"""

import gzip
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zlib
from pathlib import Path

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




# -- 3. The stored spread -----------------------------------------------------------
SPREAD_FILE = Path(__file__).with_name("spread.json")  # written by `make spread`


def measuring():
    """True while `make spread` runs the notebooks to measure them ($COURSE_RECORD set)."""
    return bool(os.environ.get("COURSE_RECORD"))


def record(name, value, seed, limits=None):
    """With $COURSE_RECORD set (`make spread`), append this run's value there (JSON line).

    limits: "spread" for a check whose limits come from the stored seeds, [low, high]
    (None for no limit) for a fixed one, None for a plain measurement.
    """
    if measuring():
        row = {"quantity": name, "value": value, "seed": seed, "limits": limits}
        with open(os.environ["COURSE_RECORD"], "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def load_spread(path=None):
    """The stored spread: {quantity: {run: value}}, from spread.json (see `make spread`)."""
    path = Path(path or os.environ.get("COURSE_SPREAD") or SPREAD_FILE)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: it holds the spread the checks and comparisons use. "
            "Copy it from the course's notebooks/ folder next to utils.py, or run "
            "`make spread` to measure it again.") from None
    spread = {}
    for row in stored["rows"]:
        spread.setdefault(row["quantity"], {})[row["run"]] = row["value"]
    return spread


def code_fingerprint(root=None):
    """sha256 of the code the spread depends on: utils.py, _course.py and the notebooks'
    code cells up to their exercises (prose, outputs and exercises do not count)."""
    root = Path(root or Path(__file__).parent)
    digest = hashlib.sha256()
    for name in ["utils.py", "_course.py"]:
        digest.update((root / name).read_bytes())
    for notebook in sorted(root.glob("*.ipynb")):
        for cell in lecture_cells(json.loads(notebook.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                digest.update("".join(cell["source"]).encode())
    return digest.hexdigest()


def lecture_cells(cells):
    """A notebook's cells before its "## Exercises" heading."""
    for cell in cells:
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith("## Exercises"):
            return
        yield cell


# -- 4. The training board, drawn once per epoch ----------------------------------------
def draw_board(board):
    """Draw d2l's ProgressBoard once, with every curve so far, and show it in place."""
    from IPython import display

    if board.fig is None:
        board.fig = d2l.plt.figure(figsize=board.figsize)
    axes = board.fig.gca()
    axes.clear()
    for (label, line), ls, color in zip(board.data.items(), board.ls, board.colors):
        axes.plot([p.x for p in line], [p.y for p in line], ls, color=color, label=label)
    axes.set(xlim=board.xlim, xlabel="epoch")
    axes.legend()
    display.display(board.fig)
    display.clear_output(wait=True)


def main():
    """`python utils.py` (what `make data` runs): fetch and verify the data, or explain."""
    try:
        print(f"Fashion-MNIST verified in {prepare_fashion_mnist()}")
    except DataError as err:
        sys.exit(f"error: {err}")
