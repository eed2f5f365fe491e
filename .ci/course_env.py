"""Finish a course environment after pip: d2l, Keras 2 everywhere, and the course kernel.

Run with the environment's own Python (`make install` and Binder's postBuild do):

0. d2l (course.environment.D2L), with --no-deps: its own pins cannot install beside TensorFlow 2.21.
1. A `.pth` file in site-packages sets TF_USE_LEGACY_KERAS=1 whenever this
   environment's Python starts, unless already set. So every kernel and editor
   using it (JupyterLab's default `python3`, VS Code, PyCharm, a new notebook)
   gets Keras 2 as tf.keras, which d2l 1.0.3 needs.
2. The "MLP course" kernel (`mlp-course`), which the notebooks name. It also sets
   TF_CPP_MIN_LOG_LEVEL=2 and turns off ipykernel's capture of raw stderr:
   TensorFlow 2.21 prints some C++ start-up lines before it reads that variable,
   and they would otherwise land in the notebook's outputs.
"""
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from course import environment  # noqa: E402  (no TensorFlow)

KERNEL, DISPLAY_NAME = environment.KERNEL, "MLP course"
PTH_NAME = "mlp-course-keras2.pth"
PTH_LINE = "import os; os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')\n"


def write_pth():
    path = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    path.write_text(PTH_LINE)
    return path


def install_kernel():
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix",
                    "--name", KERNEL, "--display-name", DISPLAY_NAME,
                    "--env", "TF_USE_LEGACY_KERAS", "1", "--env", "TF_CPP_MIN_LOG_LEVEL", "2"],
                   check=True)
    spec_file = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"
    spec = json.loads(spec_file.read_text())
    flag = "--IPKernelApp.capture_fd_output=False"
    if flag not in spec["argv"]:
        spec["argv"].append(flag)
    spec_file.write_text(json.dumps(spec, indent=1))
    return spec_file


def install_d2l():
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", environment.D2L],
                   check=True)


if __name__ == "__main__":
    install_d2l()
    print("course env: Keras 2 for every Python here:", write_pth())
    print("course env: kernel", install_kernel())
