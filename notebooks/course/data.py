"""Fashion-MNIST, verified before any training: copied from Debian's package or downloaded once.

The four files go to Keras's cache (``$KERAS_HOME/datasets/fashion-mnist``), and each is
checked (gzip intact, header, size, labels 0-9, sha256 of its contents) every time it is
used. A damaged file is reported and left in place, never deleted. No TensorFlow here.
``python -m course.data`` (`make data`) fetches and verifies them, or says what to do.
"""

import gzip
import hashlib
import os
import shutil
import sys
import urllib.request
import zlib
from pathlib import Path


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
    """Check one Fashion-MNIST file: gzip intact, 28x28 images or labels 0-9, sha256; return
    its items (the bytes after the header)."""
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
    return memoryview(raw)[offset:]


def read_fashion_mnist(train=True):
    """The training (or test) images and labels, as uint8 arrays, read from the verified
    files: what the loader must hand the trainer (checks.data_mismatches)."""
    import numpy as np

    prefix = "train" if train else "t10k"
    images = verify_file(data_dir() / f"{prefix}-images-idx3-ubyte.gz")
    labels = verify_file(data_dir() / f"{prefix}-labels-idx1-ubyte.gz")
    return (np.frombuffer(images, np.uint8).reshape(-1, 28, 28).copy(),
            np.frombuffer(labels, np.uint8).copy())


def load_fashion_mnist():
    """((train images, labels), (test images, labels)), as Keras's fashion_mnist.load_data
    returns them, from Keras's cache (filled first where a file is missing), each file
    verified as it is read: one decompression a file, where loading after verifying took two."""
    prepare_fashion_mnist(quiet=True, verify=False)
    return read_fashion_mnist(train=True), read_fashion_mnist(train=False)


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


def prepare_fashion_mnist(quiet=False, verify=True):
    """Make sure the four files are in Keras's cache and intact; return the folder.

    Missing files are copied from Debian's package when it is installed, and
    downloaded otherwise. Files already there are verified (unless verify is False: the
    caller reads and so verifies them next), never replaced.
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
        if verify:
            verify_file(target)
    return folder


if __name__ == "__main__":  # `make data`: fetch and verify the data, or say what to do
    try:
        print(f"Fashion-MNIST verified in {prepare_fashion_mnist()}")
    except DataError as err:
        sys.exit(f"error: {err}")
