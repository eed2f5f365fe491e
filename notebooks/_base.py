"""The course's facts and files, with no TensorFlow. Students need not read it.

0. Facts the rest reads: the folders, the kernel's name, the Pythons and d2l it needs.
1. Fashion-MNIST, checked before training: copied from Debian's ``dataset-fashion-mnist``
   package or downloaded once, then verified (sha256 of each file's contents).
2. The stored spread (``spread.json``, written by ``make spread``): reading it, and
   recording this run's measurements when ``$COURSE_RECORD`` names a file.
3. The code fingerprint: which code the stored spread was measured on.
"""

import ast
import gzip
import hashlib
import json
import os
import shutil
import sys
import urllib.request
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent  # notebooks/
ROOT = HERE.parent  # the course's top folder (tools and tests import this)
KERNEL = "mlp-course"  # the Jupyter kernel the notebooks name (.ci/course_env.py installs it)
SUPPORTED_PYTHON = ((3, 10), (3, 13))  # TensorFlow 2.21's range
D2L = "d2l==1.0.3"  # always with --no-deps: its own pins (numpy==1.23.5, ...) do not install


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


def write_atomically(target, fill):
    """Write target through a `.part` file that fill(part) writes, so it is never half there."""
    target = Path(target)
    part = target.with_name(target.name + ".part")
    try:
        fill(part)
    except BaseException:
        part.unlink(missing_ok=True)  # our own partial file, never a user's
        raise
    part.rename(target)
    return target


# -- 1. Fashion-MNIST, verified ------------------------------------------------
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


def _download(name, part):
    """Download one file to part, or raise DataError."""
    try:
        with urllib.request.urlopen(DOWNLOAD_URL + name, timeout=15) as r, open(part, "wb") as f:
            shutil.copyfileobj(r, f)
    except OSError as err:  # URLError, timeouts and refused connections are OSErrors
        raise DataError(
            f"Fashion-MNIST is not on this machine and could not be downloaded "
            f"({getattr(err, 'reason', err)}). Either install Debian's copy "
            f"(`sudo apt-get install dataset-fashion-mnist`, files in {DEBIAN_DIR}), "
            f"or connect to the internet once and run `make data`. "
            f"The files go to {Path(part).parent}."
        ) from None
    verify_file(part)


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
                quiet or print(f"copying {source} -> {target}")
                write_atomically(target, lambda part, s=source: shutil.copyfile(s, part))
            else:
                quiet or print(f"downloading {DOWNLOAD_URL + name} -> {target}")
                write_atomically(target, lambda part, n=name: _download(n, part))
        verify_file(target)
    return folder


# -- 2. The stored spread -----------------------------------------------------------
SPREAD_FILE = HERE / "spread.json"  # written by `make spread`


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


# -- 3. Which code the spread was measured on ------------------------------------------
MEASURED_CODE = ["utils.py", "checks.py", "_course.py", "_base.py"]  # and the lecture cells
NOT_MEASURED = {"COURSE_REPO"}  # the setup cell's address (`make publish`) moves no number


def code_fingerprint(root=None):
    """sha256 of the code the spread depends on, as Python sees it: the syntax trees of
    the helpers and of the notebooks' code cells up to their exercises, without
    docstrings, comments or COURSE_REPO. A typo fixed in a docstring keeps it; a changed
    number, name or statement changes it."""
    root = Path(root or HERE)
    digest = hashlib.sha256()
    for name in MEASURED_CODE:
        digest.update(_code_only((root / name).read_text(encoding="utf-8")).encode())
    for notebook in sorted(root.glob("*.ipynb")):
        for cell in lecture_cells(json.loads(notebook.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                digest.update(_code_only("".join(cell["source"])).encode())
    return digest.hexdigest()


def _code_only(source):
    """The syntax tree of source, without docstrings and NOT_MEASURED assignments."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            node.body = [s for s in body if not _is_docstring(s) and not _is_unmeasured(s)] or [
                ast.Pass()]
    return ast.dump(tree, annotate_fields=False)


def _is_docstring(statement):
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def _is_unmeasured(statement):
    return isinstance(statement, ast.Assign) and any(
        getattr(target, "id", None) in NOT_MEASURED for target in statement.targets)


def lecture_cells(cells):
    """A notebook's cells before its "## Exercises" heading."""
    for cell in cells:
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith("## Exercises"):
            return
        yield cell


if __name__ == "__main__":  # `make data`: fetch and verify the data, or say what to do
    try:
        print(f"Fashion-MNIST verified in {prepare_fashion_mnist()}")
    except DataError as err:
        sys.exit(f"error: {err}")
