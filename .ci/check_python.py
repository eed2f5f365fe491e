"""Refuse, with the fix, a Python that cannot run TensorFlow 2.21 (3.10-3.13)."""
import sys

major, minor = sys.version_info[:2]
if not (3, 10) <= (major, minor) <= (3, 13):
    sys.exit(
        f"error: {sys.executable} is Python {major}.{minor}; the course needs "
        "Python 3.10-3.13 (TensorFlow 2.21's range).\n"
        "Install one, then run for example:  make clean && make PYTHON=python3.12 lab\n"
        "or with conda:  conda env create -f environment.yml && "
        "conda activate mlp-course && make lab"
    )
