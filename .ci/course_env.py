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
3. JupyterLab's defaults for this environment (share/jupyter/lab/settings/overrides.json):
   no pop-up asking to fetch Jupyter's news over the first notebook, and no check for a
   newer JupyterLab (a request to pypi.org at each start, and a pop-up once a release is
   out, while the course pins its own). Keys already in that file are kept; each user can
   still turn either on in Settings > Notifications.
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


LAB_DEFAULTS = {"@jupyterlab/apputils-extension:notification":
                {"fetchNews": "false", "checkForUpdates": False}}


def write_lab_defaults(prefix=sys.prefix):
    """Add LAB_DEFAULTS to the environment's overrides.json, keeping every key it has."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        settings = json.loads(path.read_text()) if path.exists() else {}
    except json.JSONDecodeError as err:
        sys.exit(f"course env: {path} is not valid JSON ({err}); fix or remove it, then "
                 "run this again")
    for plugin, defaults in LAB_DEFAULTS.items():
        for key, value in defaults.items():
            settings.setdefault(plugin, {}).setdefault(key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n")
    return path


def install_d2l():
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", environment.D2L],
                   check=True)


if __name__ == "__main__":
    install_d2l()
    print("course env: Keras 2 for every Python here:", write_pth())
    print("course env: kernel", install_kernel())
    print("course env: JupyterLab asks no news consent, checks no updates:", write_lab_defaults())
