"""Refuse, with the fix, a Python that cannot run TensorFlow 2.21.

(course.environment.SUPPORTED_PYTHON)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from course import environment  # noqa: E402  (the standard library only)

try:
    environment.check_python()
except environment.CourseEnvironmentError as err:
    sys.exit(
        f"error: {sys.executable}: {err}\n"
        "For example:  make clean && make PYTHON=python3.12 lab\n"
        "or with conda:  conda env create -f environment.yml && "
        "conda activate mlp-course && make lab"
    )
