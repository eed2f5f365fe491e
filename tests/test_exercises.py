"""The exercises, both ways: each check rejects the unsolved skeleton and a plausible wrong
answer, with its hint. (That each solution passes its check, nbval shows: it runs the
notebooks solved, see tools/solutions.py.) Plus the solution mechanism and the handout.
"""
import json

import nbformat
import pytest
import solutions
from conftest import ROOT, SOLVED
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = {p.stem[:2]: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}

# Per notebook, per exercise in order: (the skeleton's hint, a wrong answer, its hint).
WRONG = {
    "01": [
        ("returns `...`", "def relu2(X):\n    return tf.abs(X)",
         "Negative inputs must become 0"),
        ("`n_params` is still `...`", "n_params = 784 * 512 + 512 * 128 + 128 * 10",
         "You counted the weights only"),
        ("Its variables have shapes []",
         "class MLPScratch2(d2l.Classifier):\n"
         "    def __init__(self, num_inputs, num_outputs, num_hiddens_1, num_hiddens_2, lr,\n"
         "                 sigma=0.01):\n"
         "        super().__init__()\n"
         "        self.save_hyperparameters()\n"
         "        self.W1 = tf.Variable(tf.random.normal((num_inputs, num_hiddens_1)) * sigma)\n"
         "        self.b1 = tf.Variable(tf.zeros(num_hiddens_1))\n"
         "        self.W2 = tf.Variable(tf.random.normal((num_hiddens_1, num_hiddens_2)) * sigma)\n"
         "        self.b2 = tf.Variable(tf.zeros(num_hiddens_2))\n"
         "        self.W3 = tf.Variable(tf.random.normal((num_hiddens_2, num_outputs)) * sigma)\n"
         "        self.b3 = tf.Variable(tf.zeros(num_outputs))\n"
         "\n"
         "    def forward(self, X):  # no ReLU after the second hidden layer\n"
         "        X = tf.reshape(X, (-1, self.num_inputs))\n"
         "        H1 = relu(tf.matmul(X, self.W1) + self.b1)\n"
         "        H2 = tf.matmul(H1, self.W2) + self.b2\n"
         "        return tf.matmul(H2, self.W3) + self.b3",
         "Is there a ReLU after each hidden layer"),
        ("`model_1` is still `...`",
         "utils.set_seed()\nmodel_1 = MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=1,"
         " lr=0.1)\nutils.Trainer(max_epochs=1).fit(model_1, data)\nwhy = 'c'",
         "the curves flatten early"),
    ],
    "02": [
        ("replace every `...`",
         "class MLPLikeScratch(MLP):\n    pass  # Keras's default initialiser",
         "That is Glorot-uniform, Keras's default"),
        ("replace every `...`",
         "class MLPTanh(d2l.Classifier):\n"
         "    def __init__(self, num_outputs, num_hiddens, lr):\n"
         "        super().__init__()\n"
         "        self.save_hyperparameters()\n"
         "        self.net = tf.keras.models.Sequential([\n"
         "            tf.keras.layers.Flatten(),\n"
         "            tf.keras.layers.Dense(num_hiddens, activation='tanh'),\n"
         "            tf.keras.layers.Dense(num_outputs, activation='tanh')])",
         "leave it linear"),
        ("`sweep[16]` is still `...`",
         "seeds = [0, 1]\nsweep = {w: [try_mlp(hiddens=(w,))] for w in [16, 64, 256]}",
         "should hold one accuracy per seed"),
        ("`diffs` is still `...`",
         "seeds = [0, 1, 2]\ndiffs = [1.5, -0.9, 0.6]\nverdict = 'higher'",
         "Which verdict does that support"),
    ],
}


def cells(notebook, tag):
    nb = nbformat.read(notebook, as_version=4)
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def run(client, code):
    """Execute code; return what it displayed (markdown or text) and any error."""
    shown, errors = [], []

    def collect(msg):
        content = msg["content"]
        if msg["msg_type"] in ("execute_result", "display_data"):
            shown.append(content["data"].get("text/markdown", content["data"]["text/plain"]))
        elif msg["msg_type"] == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")

    client.execute_interactive(code, output_hook=collect, timeout=300)
    return "\n".join(shown), errors


@pytest.fixture(scope="module", params=sorted(WRONG))
def kernel(request):
    """A course kernel that ran the notebook's lecture cells the exercises build on."""
    notebook = NOTEBOOKS[request.param]
    manager, client = start_new_kernel(kernel_name="mlp-course", cwd=str(notebook.parent))
    try:
        for cell in cells(notebook, "exercise-context"):
            _, errors = run(client, cell.source)
            assert not errors, errors
        _, errors = run(client, "import exercises")
        assert not errors, errors
        yield request.param, notebook, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_every_check_rejects_the_skeleton_and_a_wrong_answer_with_its_hint(kernel):
    name, notebook, client = kernel
    skeletons, checks = cells(notebook, "exercise"), cells(notebook, "exercise-check")
    assert len(skeletons) == len(checks) == len(WRONG[name]) >= 4
    for skeleton, check, (skeleton_hint, wrong, wrong_hint) in zip(
            skeletons, checks, WRONG[name], strict=True):
        for answer, hint in [(skeleton.source, skeleton_hint), (wrong, wrong_hint)]:
            _, errors = run(client, answer)
            assert not errors, f"the answer itself failed: {errors}\n{answer}"
            said, errors = run(client, check.source)
            assert not errors, f"{check.source} raised instead of hinting: {errors}"
            assert said.startswith("✘ **Not yet.**"), f"{check.source} accepted:\n{answer}"
            assert hint in said, f"{check.source} said {said!r}, not the hint {hint!r}"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_each_exercise_has_a_skeleton_a_check_and_a_folded_solution(name):
    nb = nbformat.read(NOTEBOOKS[name], as_version=4)
    found = solutions.exercises(nb)
    assert len(found) >= 4
    for skeleton, check, solution in found:
        assert "..." in skeleton.source
        assert check.source.startswith("exercises.check_")
        assert solution.cell_type == "markdown"  # "Run all" never runs it
        assert solution.source.startswith("<details>")  # folded in JupyterLab, VS Code, Colab
        assert solutions.solution_code(solution).strip()


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_exercises_stay_out_of_the_slides_but_one(name):
    nb = nbformat.read(NOTEBOOKS[name], as_version=4)
    start = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    assert nb.cells[start].metadata.slideshow.slide_type == "slide"
    assert all(c.metadata.slideshow.slide_type == "skip" for c in nb.cells[start + 1:])


def test_nbval_runs_the_solved_notebooks():
    for path in NOTEBOOKS.values():
        solved = nbformat.read(SOLVED / path.name, as_version=4)
        sources = [c.source for c in solved.cells if "exercise" in c.metadata.get("tags", [])]
        assert sources and all("..." not in s for s in sources)
        assert sum("assert feedback.passed" in c.source for c in solved.cells) == len(sources)


def test_handout_has_no_solutions_and_still_runs_from_its_folder(tmp_path):
    handout = solutions.write(tmp_path / "handout", solutions.without_solutions)
    for path in NOTEBOOKS.values():
        text = (handout / path.name).read_text()
        nb = json.loads(text)
        assert "<details>" not in text
        assert not any("solution" in c["metadata"].get("tags", []) for c in nb["cells"])
        assert any("exercise-check" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert {p.name for p in handout.iterdir()} >= set(solutions.HELPERS)
    assert not any(p.is_symlink() for p in handout.iterdir())
