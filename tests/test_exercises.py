"""The exercises, both ways: each check rejects the unsolved skeleton and the wrong answers
students really give, each with its own hint, and never raises; correct variants pass. (That
each solution passes its check, nbval shows: it runs the notebooks solved, see
tools/solutions.py.) Plus hints and solutions on request, progress, and the handout.
"""
import json
import re

import nbformat
import pytest
import solutions
from conftest import ROOT, SOLVED
from course import environment
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = {p.stem[:2]: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}

MLP2_HEAD = (
    "class MLPScratch2(d2l.Classifier):\n"
    "    def __init__(self, num_inputs, num_outputs, num_hiddens_1, num_hiddens_2, lr,\n"
    "                 sigma=0.01):\n"
    "        super().__init__()\n"
    "        self.save_hyperparameters()\n")
MLP2_VARS = (
    "        self.W1 = tf.Variable(tf.random.normal((num_inputs, num_hiddens_1)) * {s})\n"
    "        self.b1 = tf.Variable(tf.zeros(num_hiddens_1))\n"
    "        self.W2 = tf.Variable(tf.random.normal((num_hiddens_1, num_hiddens_2)) * {s})\n"
    "        self.b2 = tf.Variable(tf.zeros(num_hiddens_2))\n"
    "        self.W3 = tf.Variable(tf.random.normal((num_hiddens_2, num_outputs)) * {s})\n"
    "        self.b3 = tf.Variable(tf.zeros(num_outputs))\n")
MLP2_FORWARD = (
    "    def forward(self, X):\n"
    "        X = tf.reshape(X, (-1, self.num_inputs))\n"
    "        H1 = relu(tf.matmul(X, self.W1) + self.b1)\n"
    "        H2 = {h2}\n"
    "        return {out}\n")


def mlp2(sigma="sigma", h2="relu(tf.matmul(H1, self.W2) + self.b2)",
         out="tf.matmul(H2, self.W3) + self.b3"):
    return MLP2_HEAD + MLP2_VARS.format(s=sigma) + "\n" + MLP2_FORWARD.format(h2=h2, out=out)


def init_class(init, extra=""):
    return ("class MLPLikeScratch(d2l.Classifier):\n"
            "    def __init__(self, num_outputs, num_hiddens, lr):\n"
            "        super().__init__()\n"
            "        self.save_hyperparameters()\n"
            f"        init = {init}\n"
            "        self.net = tf.keras.models.Sequential([\n"
            "            tf.keras.layers.Flatten(),\n"
            "            tf.keras.layers.Dense(num_hiddens, activation='relu',"
            f" kernel_initializer=init{extra}),\n"
            "            tf.keras.layers.Dense(num_outputs, kernel_initializer=init)])")


SWEEP = "seeds = [0, 1, 2]\nsweep = {sweep}\nverdict = {verdict!r}"
REAL_SWEEP = "seeds = [0, 1, 2]\nsweep = {sweep}\nverdict = {verdict}"
LR = ("seeds = [0, 1, 2]\ndiffs = {diffs}\nm, low, high, p = checks.interval(diffs)\n"
      "verdict = {verdict}")
ONE_UNIT = "prediction = {p}\nmodel_1 = trained_1\naccuracy_1 = {acc}\nwhy = {why}"
EVALUATED = "utils.evaluate(model_1, data)[0]"

# Per notebook: code run once before its exercises are tried (the test kernel runs only the
# lecture cells tagged `exercise-context`, so the model there is untrained: give it biases).
SETUP = {
    "01": "model.b1.assign(tf.random.normal((256,)) * 0.1)\n"
          "model.b2.assign(tf.random.normal((10,)) * 0.1)\n"
          "utils.set_seed()\n"
          "trained_1 = MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=1, lr=0.1)\n"
          "utils.Trainer(max_epochs=2).fit(trained_1, data)",
    # real runs: a sweep on 3 seeds, and both learning rates on 3 seeds. Each distinct run
    # happens once: try_mlp remembers its results, since a check re-runs one of the
    # answer's runs and on one machine a seed repeats exactly (the solved notebook, under
    # nbval, shows that with real re-runs). lr=0.1 is the 256-unit baseline: 12 runs, not 30.
    # The runs train on what the solved copy's exercises train on (solutions.QUICK_RUNS):
    # the first 10,000 training images. A check judges what the runs give, whatever their
    # length.
    "02": f"{solutions.QUICK_RUNS['02']}\n"
          "import inspect\n"
          "_try_mlp, _runs = try_mlp, {}\n"
          "def try_mlp(*args, **kwargs):\n"
          "    call = inspect.signature(_try_mlp).bind(*args, **kwargs)\n"
          "    call.apply_defaults()\n"
          "    key = repr(sorted(call.arguments.items()))\n"
          "    if key not in _runs:\n"
          "        _runs[key] = _try_mlp(*args, **kwargs)\n"
          "    return _runs[key]\n"
          "sweep_real = {w: [try_mlp(hiddens=(w,), seed=s) for s in [0, 1, 2]] "
          "for w in [16, 64, 256]}\n"
          "m_, lo_, hi_, p_ = checks.interval([100 * (a - b) for a, b in "
          "zip(sweep_real[16], sweep_real[256])])\n"
          "sweep_right = checks.stats.direction(m_, p_)\n"
          "sweep_wrong = 'higher' if sweep_right != 'higher' else 'lower'\n"
          "at_03 = [try_mlp(lr=0.3, seed=s) for s in [0, 1, 2]]\n"
          "at_01 = [try_mlp(lr=0.1, seed=s) for s in [0, 1, 2]]\n"
          "assert len(_runs) == 12, sorted(_runs)\n",
}

# Per notebook, per exercise in order: the skeleton's hint, then (wrong answer, its hint)
# for the mistakes students really make, then answers that are right in another way.
CASES = {
    "01": [
        ("still returns `...`", [
            ("def relu2(X):\n    return tf.keras.layers.ReLU()(X)", "calls `ReLU`"),
            ("def relu2(X):\n    return tf.nn.relu(X)", "calls `relu`"),
            ("def relu2(X):\n    return tf.abs(X)", "Negative inputs must become 0"),
            ("def relu2(X):\n    return tf.where(X > 0, X / 2, 0.0)",
             "Positive inputs must pass through unchanged"),
            ("def relu2(X):\n    return X * (X > 0)", "a comparison gives booleans"),
            ("def relu2(X):\n    return X > 0", "a comparison gives booleans"),
            ("def relu2(X):\n    return X[X > 0]", "ReLU works elementwise"),
            ("def relu2(X):\n    return tf.clip_by_value(X, 0.0, float('inf'))",
             "calls `clip_by_value`"),
            ("def relu2(X):\n    return tf.cast(X > 0, tf.int32) * tf.cast(X, tf.int32)",
             "Cast to `X.dtype`, not to int32"),
            ("def relu2(X):\n    X * tf.cast(X > 0, X.dtype)", "returns nothing"),
        ], ["def relu2(X):\n    # a relu from a 0/1 mask\n    return X * tf.cast(X > 0, X.dtype)",
            "def relu2(X):\n    return (X + tf.abs(X)) / 2"]),
        ("still `...`", [
            ("W = tf.transpose(model.W1 @ model.W2)\nb = model.b2", "`W` has shape (10, 784)"),
            ("W = model.W1[:, :10]\nb = model.b2", "`W` maps images to logits differently"),
            ("W = model.W1 @ model.W2\nb = model.b2", "b2 only: b1 still goes through W2"),
            ("W = model.W1 @ model.W2\nb = model.b1[:10] + model.b2",
             "b1 passes through W2"),
            ("W = model.W1 @ model.W2\nb = model.b1", "`b` has shape (256,)"),
            ("W = model.W1 @ model.W2\nb = tf.tensordot(model.b1, model.W2, axes=1)",
             "b2 is still added after the second layer"),
        ], ["W = model.W1 @ model.W2\nb = model.b1[None, :] @ model.W2 + model.b2",
            "W = tf.linalg.matmul(model.W1, model.W2)\n"
            "b = tf.linalg.matvec(model.W2, model.b1, transpose_a=True) + model.b2"]),
        ("still `...`", [
            ('n_params = "784*512+512"', "not a number: remove the quotes"),
            ("n_params = 784 * 512 + 512 * 128 + 128 * 10", "You counted the weights only"),
            ("n_params = 784 * 512 + 784 + 512 * 128 + 512 + 128 * 10 + 128",
             "not to its inputs"),
            ("n_params = 784 * 512 + 512 + 512 * 128 + 128 + 128 * 10",
             "The output layer has biases too"),
            ("n_params = [784 * 512]", "it should be a number"),
        ], ["n_params = 468_874",
            "n_params = tf.reduce_sum([784 * 512 + 512, 512 * 128 + 128, 128 * 10 + 10])",
            "n_params = sum(a * b + b for a, b in [(784, 512), (512, 128), (128, 10)])"]),
        ("has 0 trainable variables", [
            (mlp2(h2="tf.matmul(H1, self.W2) + self.b2"),
             "no ReLU after the second hidden layer"),
            (mlp2(sigma="1.0"), "standard deviation"),
            (mlp2(sigma="0.0"), "Zero weights are symmetric"),
            (mlp2(out="relu(tf.matmul(H2, self.W3) + self.b3)"), "a ReLU on the output"),
            (mlp2(out="tf.matmul(H2, self.W3)"), "The output layer leaves out its bias"),
        ], [MLP2_HEAD + "".join(sorted(MLP2_VARS.format(s="sigma").splitlines(True),
                                       key=lambda line: "self.b" in line))  # W1-W3, then b1-b3
            + "\n" + MLP2_FORWARD.format(h2="relu(tf.matmul(H1, self.W2) + self.b2)",
                                        out="tf.matmul(H2, self.W3) + self.b3"),
            mlp2(h2="tf.nn.relu(H1 @ self.W2 + self.b2)", out="H2 @ self.W3 + self.b3")]),
        ("still `...`", [
            (ONE_UNIT.format(p=0.3, acc=EVALUATED, why="'c'"),
             "validation accuracy per epoch went"),
            (ONE_UNIT.format(p=0.3, acc=EVALUATED, why="'a'"),
             "the learning rate is not what is missing"),
            (ONE_UNIT.format(p=0.3, acc=0.5, why="'b'"), "measure it with `utils.evaluate"),
            (ONE_UNIT.format(p=30, acc=EVALUATED, why="'b'"), "between 0 and 1"),
            (ONE_UNIT.format(p=0.3, acc=EVALUATED, why="..."), "Now set `why`"),
        ], [ONE_UNIT.format(p=0.9, acc=EVALUATED, why="'b'"),
            ONE_UNIT.format(p="tf.constant(0.5)", acc=f"tf.constant({EVALUATED}, tf.float64)",
                            why="'b'"),
            ONE_UNIT.format(p="0.25", acc=f"float({EVALUATED})", why="\" ('B') \"")]),
    ],
    "02": [
        ("met a `...` still in it", [
            ("class MLPLikeScratch(MLP):\n    pass", "Glorot-uniform, Keras's default"),
            (init_class("tf.keras.initializers.RandomNormal(stddev=0.01 ** 2)"),
             "0.01² is the variance"),
            (init_class("'random_normal'"), "RandomNormal's default stddev"),
            (init_class("tf.keras.initializers.RandomNormal(stddev=1.0)"),
             "the scratch model draws N(0, 0.01²)"),
            (init_class("tf.keras.initializers.RandomNormal(stddev=0.01)",
                        ", bias_initializer='ones'"), "biases must start at zero"),
        ], [init_class("tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.01)"),
            init_class("tf.random_normal_initializer(stddev=0.01)")]),
        ("still `...`", [
            ("model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, "
             "lr=0.1, sigma=0)\nX, y = next(iter(data.train_dataloader()))\n"
             "grads = gradients(model_0, X, y)\nmoves = [False, False, False, False]",
             "b2 gets the softmax error directly"),
            ("model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, "
             "lr=0.1, sigma=0)\nX, y = next(iter(data.train_dataloader()))\n"
             "grads = gradients(model_0, X, y)\nmoves = [False, False, True, True]",
             "W2's gradient is H"),
            ("model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, "
             "lr=0.1, sigma=0)\nX, y = next(iter(data.train_dataloader()))\n"
             "grads = gradients(model_0, X, y)\nmoves = [True, True, False, True]",
             "only through W2"),
            ("model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, "
             "lr=0.1)\nX, y = next(iter(data.train_dataloader()))\n"
             "grads = gradients(model_0, X, y)\nmoves = [False, False, False, True]",
             "create it with `sigma=0`"),
            ("model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, "
             "lr=0.1, sigma=0)\nX, y = next(iter(data.train_dataloader()))\n"
             "grads = gradients(model_0, X, y)\nmoves = 'b2'", "four True/False"),
            ("model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, "
             "lr=0.1, sigma=0)\ngrads = [tf.zeros_like(v) for v in model_0.trainable_variables]"
             "\nmoves = [False, False, False, False]", "are not model_0's gradients"),
        ], ["model_0 = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, "
            "lr=0.1, sigma=0.0)\nX, y = next(iter(data.val_dataloader()))\n"
            "with tf.GradientTape() as tape:\n    loss = model_0.loss(model_0(X), y)\n"
            "grads = tape.gradient(loss, model_0.trainable_variables)\n"
            "moves = (False, False, False, True)",
            "model_0 = utils.MLPScratch(784, 10, 256, 0.1, 0)\n"
            "X, y = next(iter(data.train_dataloader()))\n"
            "grads = gradients(model_0, X, y)\n"
            "moves = [bool(tf.reduce_any(g != 0)) for g in grads]",
            "moves = [g.numpy().any() for g in grads]",  # NumPy's booleans
            "moves = [tf.reduce_any(g != 0) for g in grads]"]),  # TensorFlow's
        ("should hold one accuracy per seed", [
            (SWEEP.format(sweep={16: [0.75] * 3, 64: [0.79] * 3, 256: [0.8] * 3},
                          verdict="lower"), "the runs did not use their seed"),
            ("seeds = [0]\nsweep = {16: [0.75], 64: [0.79], 256: [0.8]}\nverdict = 'lower'",
             "One seed per width is one run"),
            ("seeds = [0, 1]\nsweep = {16: [0.75, 0.74], 64: [0.79, 0.8], 256: [0.8, 0.81]}"
             "\nverdict = 'lower'", "interval from two is too wide"),
            (REAL_SWEEP.format(sweep="sweep_real", verdict="sweep_wrong"),
             "Which verdict does the interval support"),
            (REAL_SWEEP.format(sweep="{16: sweep_real[16][::-1], 64: sweep_real[64], "
                                     "256: sweep_real[256]}", verdict="sweep_right"),
             "run again here"),
            (SWEEP.format(sweep={16: [0.75, 0.78, 0.74], 32: [0.79, 0.8, 0.78],
                                 64: [0.8, 0.79, 0.81]}, verdict="lower"), "256 among them"),
            (REAL_SWEEP.format(sweep="sweep_real", verdict="..."), "Now the verdict"),
        ], [REAL_SWEEP.format(sweep="dict(sweep_real)", verdict="sweep_right"),
            REAL_SWEEP.format(sweep="{w: [tf.constant(a) for a in sweep_real[w]] "
                                    "for w in sweep_real}", verdict="sweep_right"),
            REAL_SWEEP.format(sweep="{w: list(sweep_real[w]) for w in [256, 64, 16]}",
                              verdict="sweep_right.capitalize() + '.'")]),
        ("still `...`", [
            ("seeds = [0, 1, 2]\ndiffs = [0, 0, 0]\nverdict = 'no clear difference'",
             "The numbers must come from runs"),
            ("seeds = [0, 1, 2]\ndiffs = [0.001, -0.002, 0.003]\nverdict = 'higher'",
             "look like fractions"),
            ("seeds = [0, 1]\ndiffs = [1.0, 2.0]\nverdict = 'higher'", "at least 3 seeds"),
            ("seeds = [0, 1, 2]\nd0 = 100 * (try_mlp(lr=0.3, seed=0) - try_mlp(lr=0.1, seed=0))\n"
             "diffs = [d0, d0 + 0.1, d0 - 0.1]\nverdict = 'lower' if d0 > 0 else 'higher'",
             "Which verdict does that support"),
        ], [LR.format(diffs="[100 * (a - b) for a, b in zip(at_03, at_01)]",
                      verdict="'no clear difference' if low <= 0 <= high else "
                              "('higher' if m > 0 else 'lower')"),
            LR.format(diffs="[100 * a - 100 * b for a, b in zip(at_03, at_01)]",
                      verdict="' ' + checks.stats.direction(m, p).upper()")]),
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
        figure = any(key.startswith("image/") for key in content.get("data", {})) or \
            'class="course-figure"' in content.get("data", {}).get("text/html", "")
        if msg["msg_type"] in ("execute_result", "display_data") and not figure:  # text
            shown.append(content["data"].get("text/markdown", content["data"]["text/plain"]))
        elif msg["msg_type"] == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")

    client.execute_interactive(code, output_hook=collect, timeout=300)
    return "\n".join(shown), errors


@pytest.fixture(scope="module", params=sorted(CASES))
def kernel(request):
    """A course kernel that ran the notebook's lecture cells the exercises build on."""
    notebook = NOTEBOOKS[request.param]
    manager, client = start_new_kernel(kernel_name=environment.KERNEL, cwd=str(notebook.parent))
    try:
        for cell in cells(notebook, "exercise-context"):
            _, errors = run(client, cell.source)
            assert not errors, errors
        importing = next(c.source for c in nbformat.read(notebook, as_version=4).cells
                         if c.source.startswith("from course.exercises import"))
        _, errors = run(client, importing)
        assert not errors, errors
        yield request.param, notebook, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_every_check_rejects_the_skeleton_and_each_typical_mistake_with_its_hint(kernel):
    name, notebook, client = kernel
    skeletons, checks = cells(notebook, "exercise"), cells(notebook, "exercise-check")
    assert len(skeletons) == len(checks) == len(CASES[name]) >= 4
    _, errors = run(client, SETUP[name])
    assert not errors, errors
    for skeleton, check, (skeleton_hint, wrong, right) in zip(
            skeletons, checks, CASES[name], strict=True):
        assert len(wrong) >= 3
        call = check.source.splitlines()[0]
        for answer, hint in [(skeleton.source, skeleton_hint), *wrong]:
            _, errors = run(client, answer)
            assert not errors, f"the answer itself failed: {errors}\n{answer}"
            said, errors = run(client, call)
            assert not errors, f"{call} raised instead of hinting: {errors}"
            assert said.startswith("✘ **Not yet.**"), f"{call} accepted:\n{answer}"
            assert hint in said, f"{call} said {said!r}, not the hint {hint!r}"
        for answer in right:
            _, errors = run(client, answer)
            assert not errors, f"the answer itself failed: {errors}\n{answer}"
            said, errors = run(client, call)
            assert said.startswith("✔ **Correct.**"), f"{call} rejected:\n{answer}\n{said}"


def test_hints_come_one_at_a_time_and_the_solution_says_why(kernel):
    name, notebook, client = kernel
    call = cells(notebook, "exercise-check")[0].source.splitlines()[0]
    exercise = call.split(".check(")[0]
    first, _ = run(client, f"{exercise}.hint()")
    second, _ = run(client, f"{exercise}.hint()")
    assert first.startswith("**Hint 1 of") and second.startswith("**Hint 2 of")
    solution, _ = run(client, f"{exercise}.solution()")
    assert solution.startswith("**Solution.**") and "**Why.**" in solution
    table, _ = run(client, "exercises.progress()")
    row = next(line for line in table.splitlines() if line.startswith(f"| {name}-1 "))
    assert "| 2 of 2 | yes |" in row


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_each_exercise_has_a_skeleton_a_check_and_a_folded_solution(name):
    nb = nbformat.read(NOTEBOOKS[name], as_version=4)
    found = solutions.exercises(nb)
    assert len(found) >= 4
    for skeleton, check, solution in found:
        assert "..." in skeleton.source
        assert re.match(r"exercises\.\w+\.check\(", check.source)
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


def test_solved_copy_shortens_the_exercises_runs_and_nothing_before_them():
    for path in NOTEBOOKS.values():
        quick = solutions.QUICK_RUNS.get(path.name[:2])
        cells = nbformat.read(SOLVED / path.name, as_version=4).cells
        found = [i for i, c in enumerate(cells) if quick and c.source.startswith(quick)]
        assert quick is None or len(found) == 1
        if found:  # right after the exercises' heading: the lecture's cells run as written
            assert cells[found[0] - 1].source.startswith("## Exercises")
            assert quick not in path.read_text()


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


def test_folded_solutions_are_generated_from_the_exercise_modules():
    for path in NOTEBOOKS.values():
        nb = nbformat.read(path, as_version=4)
        assert nb == solutions.folded(nb, path.name), (
            f"{path.name}: its folded solutions differ from course/exercises/: run "
            "`python tools/solutions.py fold`")


def test_no_public_helper_gives_an_answer_away():
    import ast

    for module in ["core", "nb01", "nb02"]:
        path = ROOT / "notebooks" / "course" / "exercises" / f"{module}.py"
        public = [node.name for node in ast.parse(path.read_text()).body
                  if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]
        assert not {"mlp_param_count", "param_count", "layers"} & set(public), module
