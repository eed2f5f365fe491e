"""The notebooks outside the course kernel: plain python3, Colab-like, Binder, CI hosts.

- the setup cell each notebook starts with, and `make publish`'s address and links;
- the environment's plain `python3` kernel: a new notebook there gets Keras 2, and nbval
  runs 02 in it in full (01 in the course kernel; tests/conftest.py);
- a Colab-like environment (Python 3.13, TensorFlow 2.20 with Keras 3 and tf-keras 2.20
  installed, no d2l, as Colab ships them), each notebook alone in an empty folder, to the
  end of its first training (one epoch of it): needs the package registry, and is skipped
  with the reason when it cannot be reached;
- the Binder/JupyterHub build plan (repo2docker --no-build) and the GitHub workflow;
- `make` in a course folder moved after its environment was made.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SOLVED
from course import environment
from nbclient import NotebookClient

sys.path.insert(0, str(ROOT / "tools"))
import publish  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ids = [p.stem for p in NOTEBOOKS]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
ISSUE_TEMPLATES = ROOT / ".github" / "ISSUE_TEMPLATE"


def setup_cell(notebook):
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return code[0]


def until_first_training(notebook, include_training):
    """The notebook's cells up to its first `.fit(` cell (with it, or without it)."""
    nb = nbformat.read(notebook, as_version=4)
    stop = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and ".fit(" in c.source)
    nb.cells = nb.cells[:stop + include_training]
    return nb


def text_of(cell):
    """What a code cell printed or returned, as text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def execute(nb, kernel_name, folder):
    NotebookClient(nb, kernel_name=kernel_name, timeout=900,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


# -- the setup cell and the course's address ---------------------------------------------
def test_both_notebooks_start_with_the_same_setup_cell_hidden_from_the_slides():
    first, second = (setup_cell(n) for n in NOTEBOOKS)
    assert first.source == second.source
    assert first.metadata["slideshow"]["slide_type"] == "skip"
    deck_first_line = "from d2l import tensorflow as d2l"
    assert deck_first_line not in first.source
    assert "TF_USE_LEGACY_KERAS" in first.source


def test_setup_cell_opened_alone_without_an_address_says_what_to_do(tmp_path):
    # as an unpublished copy has it (a published one has its address here)
    source = re.sub(r'COURSE_REPO = "[^"]*"', 'COURSE_REPO = ""', setup_cell(NOTEBOOKS[0]).source)
    done = subprocess.run([sys.executable, "-c", source], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "utils.py is not next to this notebook" in done.stderr
    assert "set COURSE_REPO" in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing fetched, nothing written


def test_readme_links_come_from_the_notebooks_address():
    repos = {publish.read_setting(n) for n in NOTEBOOKS}
    assert len(repos) == 1, f"the notebooks disagree on COURSE_REPO: {repos}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(publish.BEGIN):readme.index(publish.END) + len(publish.END)]
    branch = re.search(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/([^/]+)/", block)
    assert block == publish.links(repos.pop(), branch.group(1) if branch else "main"), (
        "README links are stale: run `make publish`")


def test_publish_sets_the_address_in_every_notebook_and_the_readme(tmp_path, monkeypatch):
    copies = [Path(shutil.copy(n, tmp_path)) for n in NOTEBOOKS]
    readme = Path(shutil.copy(ROOT / "README.md", tmp_path))
    monkeypatch.setattr(publish, "NOTEBOOKS", copies)
    monkeypatch.setattr(publish, "README", readme)
    publish.main("https://github.com/someone/mlp-course", "spring")
    assert {publish.read_setting(n) for n in copies} == {"https://github.com/someone/mlp-course"}
    nbformat.validate(nbformat.read(copies[0], as_version=4))
    assert ("https://colab.research.google.com/github/someone/mlp-course/blob/spring/"
            "notebooks/01-mlp-scratch.ipynb") in readme.read_text()
    with pytest.raises(SystemExit, match="not a git address"):
        publish.main("someone/mlp-course")


def test_a_published_address_keeps_the_notebooks_lint_clean(tmp_path, monkeypatch):
    copies = [Path(shutil.copy(n, tmp_path)) for n in NOTEBOOKS]
    monkeypatch.setattr(publish, "NOTEBOOKS", copies)
    monkeypatch.setattr(publish, "README", Path(shutil.copy(ROOT / "README.md", tmp_path)))
    publish.main("https://git.example.org/a-department/teaching/mlp-course-2026-autumn.git")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--config",
                           str(ROOT / "pyproject.toml"), *map(str, copies)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]


# -- the plain python3 kernel of the course environment ---------------------------------
def test_a_new_notebook_in_the_default_python3_kernel_gets_keras_2():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from d2l import tensorflow as d2l\nimport tensorflow as tf\nprint(tf.keras.__name__)")])
    env_before = os.environ.pop("TF_USE_LEGACY_KERAS", None)  # as a fresh JupyterLab has it
    try:
        execute(nb, "python3", ROOT / "notebooks")
    finally:
        if env_before is not None:
            os.environ["TF_USE_LEGACY_KERAS"] = env_before
    assert text_of(nb.cells[0]).startswith("tf_keras")


def test_nbval_runs_one_notebook_in_the_course_kernel_and_one_in_plain_python3():
    kernels = {p.name: nbformat.read(SOLVED / p.name, as_version=4).metadata.kernelspec.name
               for p in NOTEBOOKS}
    assert sorted(kernels.values()) == sorted([environment.KERNEL, "python3"]), kernels


# -- a Colab-like environment ---------------------------------------------------------------
COLAB_LIKE = ["tensorflow~=2.20.0", "tf-keras~=2.20.0", "matplotlib", "pandas", "requests",
              "ipython", "ipykernel", "matplotlib-inline", "scipy"]  # Colab's, without d2l
# The weekly drift job (.github/workflows/ci.yml) sets these to the newest releases instead:
# COURSE_HOSTED_PACKAGES, unpinned names; COURSE_HOSTED_PYTHON, the newest Python it has.
COLAB_LIKE = os.environ.get("COURSE_HOSTED_PACKAGES", "").split() or COLAB_LIKE
PINNED_TF = "2.20" if "tensorflow~=2.20.0" in COLAB_LIKE else None  # None: whatever is newest


def registry_reachable():
    done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "tf-keras",
                           "--retries", "0", "--timeout", "10"], capture_output=True, timeout=120)
    return done.returncode == 0


def colab_python():
    """Python 3.13 as on Colab (on PATH, or one pyenv installed), else this Python."""
    if os.environ.get("COURSE_HOSTED_PYTHON"):
        return os.environ["COURSE_HOSTED_PYTHON"]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in [shutil.which("python3.13"), *sorted(pyenv.glob("3.13*/bin/python3"))]:
        if candidate and subprocess.run([candidate, "-c", "import venv"],
                                        capture_output=True).returncode == 0:
            return str(candidate)
    return getattr(sys, "_base_executable", sys.executable)


def colab_like_base(python):
    """A venv with Colab's packages (TensorFlow 2.20 and Keras 3), built once and cached.

    It lives in the user's cache folder, like pip's cache, and is never modified after
    it is built: each test run layers a fresh venv on top of it (see colab_like).
    """
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    key = hashlib.sha256(" ".join([version, *COLAB_LIKE]).encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    base = cache / "mlp-course" / f"colab-like-{key}"
    if not (base / "complete").exists():
        shutil.rmtree(base, ignore_errors=True)  # our own half-built cache, nothing else
        subprocess.run([python, "-m", "venv", str(base)], check=True)
        subprocess.run([base / "bin" / "python", "-m", "pip", "install", "-q", *COLAB_LIKE],
                       check=True, timeout=1800)
        (base / "complete").write_text(" ".join(COLAB_LIKE))
    return base


def layered_venv(python, base, root):
    """A fresh venv in root that sees the base's packages after its own, with a kernel."""
    venv = root / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    site = subprocess.run([venv / "bin" / "python", "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    base_site = next((base / "lib").glob("python3.*/site-packages"))
    (Path(site) / "colab-packages.pth").write_text(  # after its own packages on sys.path
        f"import site; site.addsitedir({str(base_site)!r})\n")
    kernel = root / "share" / "jupyter" / "kernels" / "colab-like"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "Colab-like", "language": "python"}))
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def colab_base(tmp_path_factory):
    """Colab's packages, cached; a layered venv made once from it is probed: Keras 3 by
    default, tf-keras installed, no d2l (each test then layers its own fresh venv)."""
    if not registry_reachable():
        pytest.skip("the package registry is unreachable (offline): the Colab-like run "
                    "installs TensorFlow 2.20, tf-keras and d2l from it; CI runs it")
    python = colab_python()
    base = colab_like_base(python)
    probe = subprocess.run(
        [layered_venv(python, base, tmp_path_factory.mktemp("colab-probe")), "-c",
         "import importlib.util as u, tensorflow as tf; "
         "print(tf.__version__[:4], tf.keras.__name__, u.find_spec('tf_keras') is not None, "
         "u.find_spec('d2l') is not None)"],
        capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                             if k != "TF_USE_LEGACY_KERAS"})
    tf_version, *rest = probe.stdout.split() or ["?"]
    assert rest == ["keras._tf_keras.keras", "True", "False"], probe.stdout + probe.stderr[-2000:]
    assert tf_version == (PINNED_TF or tf_version), probe.stdout
    return python, base


@pytest.fixture
def colab_like(colab_base, tmp_path_factory):
    """A fresh venv that sees Colab's packages, has no d2l, and a kernel: its Jupyter path."""
    root = tmp_path_factory.mktemp("colab")
    layered_venv(*colab_base, root)
    return root / "share" / "jupyter"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_notebook_opened_alone_in_a_colab_like_kernel_trains(colab_like, notebook, tmp_path,
                                                               monkeypatch):
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    monkeypatch.setenv("JUPYTER_PATH", str(colab_like))
    alone = Path(shutil.copy(notebook, tmp_path))  # the notebook only: no utils.py
    publish.write_setting(alone, ROOT.as_uri())  # a local clone, offline-safe
    nb = until_first_training(alone, include_training=True)
    # One epoch, not the lecture's 10: what is tested is the environment, and Keras 3 in
    # place of Keras 2 shows in one epoch (d2l sees no trainable variables). The lecture's
    # own trainings run in full under nbval.
    training = nb.cells[-1]
    training.source, epochs_set = re.subn(r"Trainer\(max_epochs=\d+\)", "Trainer(max_epochs=1)",
                                          training.source)
    assert epochs_set == 1, training.source
    nb.cells.append(nbformat.v4.new_code_cell("print(len(model.trainable_variables))"))
    nb = execute(nb, "colab-like", tmp_path)
    printed = "".join(text_of(c) for c in nb.cells)
    assert "installing d2l==1.0.3 (--no-deps)" in printed
    if PINNED_TF:
        assert f"TensorFlow {PINNED_TF}" in printed and f"tf-keras {PINNED_TF}" in printed
    assert (tmp_path / "mlp-course" / "notebooks" / "utils.py").exists()
    assert any(o.output_type == "display_data" for o in training.outputs)  # d2l's board
    assert text_of(nb.cells[-1]).split() == ["4"]  # W1, b1, W2, b2 (or both Dense layers')


# -- Binder / JupyterHub, and CI for the course's hosts -----------------------------------
def test_binder_builds_from_environment_yml_after_copying_the_repository():
    repo2docker = shutil.which("repo2docker") or str(Path(sys.executable).parent / "repo2docker")
    if not Path(repo2docker).exists():
        pytest.skip("repo2docker is not installed (pip install jupyter-repo2docker)")
    done = subprocess.run([repo2docker, "--no-build", "--debug", "--user-id", "1000",
                           "--user-name", "jovyan", str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    plan = done.stdout + done.stderr
    assert done.returncode == 0, plan[-2000:]
    assert "Building conda environment for python=3.11" in plan
    copy_repo = plan.index("COPY --chown=1000:1000 src/")
    env_update = plan.index('env update -p ${NB_PYTHON_PREFIX} --file "environment.yml"')
    post_build = plan.index("./postBuild")
    # `-r requirements.txt` inside environment.yml needs the repository in place
    assert copy_repo < env_update < post_build
    assert not (ROOT / "binder").exists(), "a binder/ folder would replace these files"


def course_env():
    """.ci/course_env.py as a module (it finishes an environment: d2l, .pth, kernel, JupyterLab)."""
    sys.path.insert(0, str(ROOT / ".ci"))
    try:
        import course_env
    finally:
        sys.path.remove(str(ROOT / ".ci"))
    return course_env


def test_lab_defaults_keep_every_key_an_overrides_file_already_has(tmp_path):
    settings = tmp_path / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True)
    theirs = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
              "@jupyterlab/apputils-extension:notification": {"fetchNews": "true"}}
    (settings / "overrides.json").write_text(json.dumps(theirs))
    written = json.loads(course_env().write_lab_defaults(tmp_path).read_text())
    assert written == {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                       "@jupyterlab/apputils-extension:notification":
                           {"fetchNews": "true", "checkForUpdates": False}}


def test_damaged_overrides_file_is_reported_and_left_as_it_was(tmp_path):
    path = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"theme": ')
    with pytest.raises(SystemExit, match="overrides.json is not valid JSON"):
        course_env().write_lab_defaults(tmp_path)
    assert path.read_text() == '{"theme": '


def schema_errors(schema, *files):
    """What check-jsonschema finds wrong in files against one of its built-in schemas: its
    command line, run in this process (its import, 2 s, is paid once, not per call)."""
    cli = pytest.importorskip("check_jsonschema.cli.main_command",
                              reason="check-jsonschema is not installed")
    from click.testing import CliRunner

    done = CliRunner().invoke(cli.main, ["--builtin-schema", schema, *map(str, files)])
    crash = "" if isinstance(done.exception, SystemExit) else repr(done.exception)
    return "" if done.exit_code == 0 else done.output + crash


def test_github_workflow_is_valid_and_runs_ci_in_debian():
    assert schema_errors("vendor.github-workflows", WORKFLOW) == ""
    text = WORKFLOW.read_text()
    assert re.search(r"container:\s*(image:\s*)?debian:bookworm", text)
    assert "bash .ci/run" in text


def test_issue_forms_are_valid():
    # an invalid form is silently dropped by GitHub: the reporter gets a blank issue
    forms = sorted(ISSUE_TEMPLATES.glob("[0-9]-*.yml"))
    assert len(forms) == 3
    assert schema_errors("vendor.github-issue-forms", *forms) == ""
    assert schema_errors("vendor.github-issue-config", ISSUE_TEMPLATES / "config.yml") == ""


def test_weekly_drift_job_runs_the_colab_like_test_on_the_newest_releases():
    import yaml

    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert triggers["schedule"][0]["cron"].split()[4] in {"0", "1", "2", "3", "4", "5", "6"}
    drift = workflow["jobs"]["drift"]
    assert "schedule" in drift["if"] and "schedule" in workflow["jobs"]["test"]["if"]
    run = next(step for step in drift["steps"] if "COURSE_HOSTED_PACKAGES" in step.get("env", {}))
    packages = run["env"]["COURSE_HOSTED_PACKAGES"].split()
    assert {"tensorflow", "tf-keras", "pandas"} <= set(packages)  # unpinned: the newest
    assert not any(c in p for p in packages for c in "=<>~")
    assert "colab_like" in run["run"] and run["env"]["COURSE_HOSTED_PYTHON"]
    assert any(step.get("with", {}).get("python-version") == "3.x" for step in drift["steps"])


# -- a course folder moved after `make install` -----------------------------------------------
def make_with_env_made_for(tmp_path, folder, *goals):
    """`make -n GOALS` with ENV an environment whose bin/jupyter names `folder`/bin/python as
    its interpreter, as pip and uv write it (the folder the environment was made in)."""
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "jupyter").write_text(f"#!{folder}/bin/python\nimport sys\n")
    return subprocess.run(["make", "-n", f"ENV={env}", *goals], cwd=ROOT,
                          capture_output=True, text=True)


def test_make_stops_with_the_fix_when_the_course_folder_has_moved(tmp_path):
    done = make_with_env_made_for(tmp_path, "/home/student/Downloads/mlp-course/.venv", "lab")
    assert done.returncode != 0
    assert "made in /home/student/Downloads/mlp-course/.venv" in done.stderr
    assert "make clean && make lab" in done.stderr


def test_make_clean_still_runs_when_the_course_folder_has_moved(tmp_path):
    done = make_with_env_made_for(tmp_path, "/home/student/Downloads/mlp-course/.venv", "clean")
    assert done.returncode == 0, done.stderr
    assert "rm -rf" in done.stdout


def test_make_runs_in_the_folder_its_environment_was_made_in(tmp_path):
    done = make_with_env_made_for(tmp_path, tmp_path / "env", "lab")
    assert done.returncode == 0, done.stderr
    assert "jupyter lab" in done.stdout
