"""Unit tests for notebooks/utils.py and course/data.py and environment.py: data checks, bad
inputs, the Keras guard, the helpers and the trainer."""
import gzip
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import utils
from conftest import ROOT
from course import data as course_data
from course import environment

tf = utils.tf
NAMES = list(course_data.FASHION_MNIST)
DEBIAN = course_data.DEBIAN_DIR  # the real package folder, before any test patches it
needs_data = pytest.mark.skipif(
    not all((DEBIAN / n).exists() for n in NAMES),
    reason=f"Debian's dataset-fashion-mnist is not installed ({DEBIAN})",
)


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    """A Keras home with no data, no Debian copy, and no network to download from."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(course_data, "DEBIAN_DIR", tmp_path / "no-debian-package")
    monkeypatch.setattr(course_data, "DOWNLOAD_URL", "http://127.0.0.1:9/")  # nothing listens
    return tmp_path


def rewrite(path, edit):
    """Decompress a gzip file, apply edit(bytes) -> bytes, and compress it back (at the
    fastest level: 0.2 s, not 3 s, for the 7.8 MB of the test images)."""
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(edit(raw), compresslevel=1))


def copy_into_cache(name):
    target = course_data.data_dir() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((DEBIAN / name).read_bytes())
    return target


@needs_data
@pytest.mark.parametrize("name", NAMES)
def test_debian_files_pass_verification(name):
    course_data.verify_file(DEBIAN / name)


@needs_data
def test_prepare_copies_debian_files_into_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folder = course_data.prepare_fashion_mnist(quiet=True)
    assert folder == tmp_path / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)


def test_missing_data_offline_names_both_remedies(empty_home):
    with pytest.raises(course_data.DataError) as err:
        course_data.prepare_fashion_mnist(quiet=True)
    message = str(err.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "connect to the internet once" in message
    assert not list(course_data.data_dir().iterdir())  # no half-downloaded file left behind


@needs_data
def test_truncated_file_is_reported_by_name_and_kept(empty_home):
    for name in NAMES:
        copy_into_cache(name)
    target = course_data.data_dir() / "train-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(course_data.DataError, match="train-labels-idx1-ubyte.gz is damaged"):
        course_data.prepare_fashion_mnist(quiet=True)
    assert target.stat().st_size == 1000  # left in place for the user


@needs_data
def test_changed_pixel_fails_the_checksum(empty_home):
    target = copy_into_cache("t10k-images-idx3-ubyte.gz")
    rewrite(target, lambda raw: raw[:-1] + bytes([(raw[-1] + 1) % 256]))
    with pytest.raises(course_data.DataError, match="do not match the published sha256"):
        course_data.verify_file(target)


@needs_data
def test_label_outside_0_to_9_is_rejected(empty_home):
    target = copy_into_cache("t10k-labels-idx1-ubyte.gz")
    rewrite(target, lambda raw: raw[:-1] + bytes([42]))
    with pytest.raises(course_data.DataError, match="labels outside 0-9"):
        course_data.verify_file(target)


@needs_data
def test_wrong_image_count_is_rejected(empty_home):
    target = copy_into_cache("t10k-images-idx3-ubyte.gz")
    rewrite(target, lambda raw: raw[:16 + 784 * 500])
    with pytest.raises(course_data.DataError, match="header/size"):
        course_data.verify_file(target)


@needs_data
def test_damaged_cache_file_is_not_replaced_by_debian_copy(empty_home, monkeypatch):
    monkeypatch.setattr(course_data, "DEBIAN_DIR", DEBIAN)
    target = copy_into_cache("train-labels-idx1-ubyte.gz")
    target.write_bytes(b"not gzip at all")
    with pytest.raises(course_data.DataError):
        course_data.prepare_fashion_mnist(quiet=True)
    assert target.read_bytes() == b"not gzip at all"


@needs_data
def test_course_data_holds_what_keras_load_data_reads(empty_home, monkeypatch):
    monkeypatch.setattr(course_data, "DEBIAN_DIR", DEBIAN)
    (train, test) = course_data.load_fashion_mnist()  # copies Debian's files into the cache
    keras = tf.keras.datasets.fashion_mnist.load_data(cache_dir=str(course_data.keras_home()))
    for ours, theirs in zip([*train, *test], [*keras[0], *keras[1]], strict=True):
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
        assert ours.flags.writeable  # as Keras's: a student may edit a copy of an image


@needs_data
def test_course_data_refuses_a_changed_label_in_the_cache(empty_home):
    for name in NAMES:
        copy_into_cache(name)
    target = course_data.data_dir() / "train-labels-idx1-ubyte.gz"
    rewrite(target, lambda raw: raw[:-1] + bytes([(raw[-1] + 1) % 10]))  # still a class
    with pytest.raises(course_data.DataError, match="train-labels-idx1-ubyte.gz is damaged"):
        utils.FashionMNIST(batch_size=256)


def test_make_data_exits_with_one_line_error_on_a_damaged_file(tmp_path):
    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    (folder / NAMES[0]).write_bytes(b"not gzip at all")
    done = subprocess.run([sys.executable, "-m", "course.data"],
                          env={**os.environ, "KERAS_HOME": str(tmp_path),
                               "PYTHONPATH": str(ROOT / "notebooks")},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: Fashion-MNIST file {folder / NAMES[0]} is damaged")
    assert (folder / NAMES[0]).read_bytes() == b"not gzip at all"  # left in place


@pytest.mark.parametrize("version", [(3, 9), (3, 14)])
def test_unsupported_python_is_refused_with_the_fix(version):
    with pytest.raises(environment.CourseEnvironmentError, match="supports Python 3.10-3.13"):
        environment.check_python(version)


@pytest.mark.parametrize("version", [(3, 10), (3, 13)])
def test_supported_python_passes(version):
    environment.check_python(version)


def test_keras_3_already_loaded_is_refused_with_restart_advice():
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["PYTHONPATH"] = str(ROOT / "notebooks")
    # as in a kernel without the course's .pth (Colab, say): Keras 3 first, then utils
    code = ("import os; os.environ.pop('TF_USE_LEGACY_KERAS', None); "
            "import tensorflow as tf; tf.keras.Sequential; import utils")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "CourseEnvironmentError" in result.stderr
    assert "Restart the kernel" in result.stderr


def test_missing_tf_keras_says_how_to_install_it():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "notebooks"))
    code = "import sys; sys.modules['tf_keras'] = None; import utils"  # as if not installed
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "CourseEnvironmentError" in result.stderr
    assert "run `make install`" in result.stderr


def test_tf_keras_is_keras_2():
    assert tf.keras.__name__.startswith("tf_keras")
    assert isinstance(utils.d2l.Classifier(), tf.keras.Model)


def test_set_seed_repeats_random_draws():
    utils.set_seed(3)
    first = tf.random.normal((5,)).numpy()
    utils.set_seed(3)
    assert np.array_equal(first, tf.random.normal((5,)).numpy())


def test_runtime_report_names_device_and_versions():
    report = utils.runtime_report()
    assert report.startswith(("CPU", "GPU"))
    assert f"TensorFlow {tf.__version__}" in report
    assert "d2l 1.0.3" in report


def test_summary_device_line_keeps_tensorflow_c_log_lines_out_of_pytest_output(capfd):
    from conftest import quietly

    def report():  # as TensorFlow's C++ layer logs on a machine without a GPU driver
        os.write(2, b"E0000 cuda_platform.cc:52] failed call to cuInit\n")
        return utils.runtime_report()

    assert quietly(report) == utils.runtime_report()
    os.write(2, b"after\n")  # and file descriptor 2 works again
    assert capfd.readouterr().err == "after\n"


def test_check_failed_form_shows_the_runtime_line_as_the_notebooks_print_it():
    import yaml

    form = yaml.safe_load((ROOT / ".github/ISSUE_TEMPLATE/1-check-failed.yml").read_text())
    runtime = next(field for field in form["body"] if field.get("id") == "runtime")
    example = runtime["attributes"]["description"].split("for example: ")[1]
    fields = lambda line: [re.sub(r"\d[\d.]*", "N", f) for f in line.split(" | ")[1:]]  # noqa: E731
    assert fields(example) == fields(utils.runtime_report())  # after the device


@pytest.fixture(scope="module")
def data():
    course_data.prepare_fashion_mnist(quiet=True)
    return utils.FashionMNIST(batch_size=256)


def batches(loader):
    """Each batch as the set of its images' pixel sums."""
    return [frozenset(tf.reduce_sum(X, [1, 2, 3]).numpy().round(3)) for X, _ in loader]


def test_loader_draws_new_batches_every_epoch(data):
    loader = data.train_dataloader()
    first, second = batches(loader), batches(loader)
    assert len(first) == 235
    assert not set(first) & set(second)


def test_loader_same_seed_gives_same_batches(data):
    assert batches(data.train_dataloader()) == batches(data.train_dataloader())


def fingerprints(batch):
    """Two integers that change if a batch's images or labels change, or their order."""
    X, y = batch
    position = tf.range(1, len(y) + 1, dtype=tf.int64)
    pixels = tf.cast(tf.round(X * 255), tf.int64)  # exact: no float sums to round differently
    return (tf.reduce_sum(tf.reduce_sum(pixels, [1, 2, 3]) * position),
            tf.reduce_sum(tf.cast(y, tf.int64) * position))


@pytest.mark.parametrize("train", [True, False], ids=["training", "test"])
def test_trainer_graph_builds_the_batches_the_loader_gives(data, train):
    """utils.Trainer builds the course loader's batches inside its graph, from its recipe:
    epoch after epoch, they must be the batches that iterating the loader gives."""
    from course import training

    big = data.__class__(batch_size=2000)  # 30 batches an epoch (5 for the test set)
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=4, lr=0.1)

    def step(batch):
        for key, value in zip(["images", "labels"], fingerprints(batch), strict=True):
            model.plot(key, value, train=True)

    epoch = training.compile_epoch(model, big.get_dataloader(train), step)
    loader = big.get_dataloader(train)
    for _ in range(2):
        steps, plotted = epoch()
        expected = np.array([fingerprints(batch) for batch in loader])
        assert steps == len(expected) == len(loader)
        assert np.array_equal(np.stack([rows for _, _, rows in plotted], 1), expected)


def test_loader_scales_pixels_to_unit_interval(data):
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (256, 28, 28, 1) and X.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(X)) and float(tf.reduce_max(X)) <= 1.0
    assert y.dtype == tf.int32


def test_loader_batch_size_cuts_the_same_images_in_the_same_order(data):
    """get_dataloader's batch_size (evaluate asks for EVALUATION_BATCH) moves the cuts only."""
    def joined(batches):  # one batch: every image, then every label
        images, labels = zip(*batches, strict=True)
        return tf.concat(images, 0), tf.concat(labels, 0)

    cut = list(data.get_dataloader(False, 3000))
    assert [len(y) for _, y in cut] == [3000, 3000, 3000, 1000]
    assert fingerprints(joined(cut)) == fingerprints(joined(data.get_dataloader(False)))


def test_evaluate_counts_every_test_image(data):
    always_class_0 = lambda X: tf.zeros((len(X), 10)) + tf.one_hot([0], 10)  # noqa: E731
    accuracy, loss = utils.evaluate(always_class_0, data)
    assert accuracy == 1000 / 10000  # Fashion-MNIST's test set has 1,000 images per class
    # logits (1, 0, ..., 0): cross-entropy log(e + 9) - 1 on class 0, log(e + 9) elsewhere
    assert loss == pytest.approx(np.log(np.e + 9) - 0.1, rel=1e-5)


def test_mlp_scratch_has_203530_parameters():
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
    assert sum(int(tf.size(p)) for p in model.trainable_variables) == 203_530


# A fresh process imports the course as a notebook does (d2l first), with COURSE_SEED=7 and
# no GPU visible; the tests below each read one fact of it (one TensorFlow import for all).
FRESH_IMPORT = """
import json
from d2l import tensorflow as d2l
before = d2l.ProgressBoard.__init__.__defaults__
import matplotlib_inline.backend_inline as backend
formats = set(backend.InlineBackend.instance().figure_formats)
import gc
import utils
from course import checks, exercises
print(json.dumps({
    "collector_on": gc.isenabled(),
    "device": utils.device_name(), "seed": utils.SEED,
    "loader_seed": utils.FashionMNIST.__init__.__defaults__[-1],
    "report": utils.runtime_report().split(" | ")[1],
    "d2l_defaults_kept": before == d2l.ProgressBoard.__init__.__defaults__,
    "figure_formats_kept": formats == set(backend.InlineBackend.instance().figure_formats)}))
"""


PINNED = hasattr(os, "sched_setaffinity")  # Linux: the fresh import runs on one core


def one_core():
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # as `taskset -c 0`


@pytest.fixture(scope="module")
def fresh_import():
    done = subprocess.run([sys.executable, "-c", FRESH_IMPORT], cwd=ROOT / "notebooks",
                          env={**os.environ, "COURSE_SEED": "7", "CUDA_VISIBLE_DEVICES": ""},
                          preexec_fn=one_core if PINNED else None,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_device_name_counts_the_cores_the_process_may_use_when_no_gpu_is_visible(fresh_import):
    """On one core of a bigger machine (a container's share, `taskset`), it says 1 core."""
    if PINNED:
        assert fresh_import["device"] == "CPU (1 core)"
    else:
        assert fresh_import["device"] == f"CPU ({os.cpu_count()} cores)"


def test_course_seed_environment_variable_picks_the_seed(fresh_import):
    assert [fresh_import[k] for k in ("seed", "loader_seed", "report")] == [7, None, "seed 7"]


def test_nothing_is_installed_when_d2l_and_tf_keras_are_present(monkeypatch):
    monkeypatch.setattr(environment.subprocess, "run", lambda *a, **k: pytest.fail("pip was run"))
    assert environment.install_missing(tf.__version__) == []


def test_failed_install_says_what_was_missing_and_what_to_do(monkeypatch):
    real_find_spec = environment.importlib.util.find_spec
    monkeypatch.setattr(environment.importlib.util, "find_spec",
                        lambda name: None if name == "d2l" else real_find_spec(name))
    monkeypatch.setattr(environment, "D2L", "d2l==999.0")  # a release no index has
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # a real pip run, offline
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with pytest.raises(environment.CourseEnvironmentError) as err:
        environment.install_missing(tf.__version__)
    assert "Could not install d2l==999.0" in str(err.value)
    assert "make install" in str(err.value)


class Counted(utils.MLPScratch):
    """A model whose training_step is overridden, as d2l's later chapters do."""

    def training_step(self, batch):
        self.calls.assign_add(1)  # runs inside the compiled step: a variable, not a Python int
        return super().training_step(batch)


def test_trainer_runs_an_overridden_training_step(data):
    utils.set_seed()
    model = Counted(num_inputs=784, num_outputs=10, num_hiddens=16, lr=0.1)
    model.calls = tf.Variable(0, trainable=False)
    model.board.display = False
    trainer = utils.Trainer(max_epochs=1)
    trainer.fit(model, data)
    assert int(model.calls) == trainer.train_batch_idx == 235
    assert len(model.board.data["train_loss"]) == 2  # d2l plots the loss twice an epoch


def test_trainer_clips_gradients_when_asked(data):
    utils.set_seed()
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=16, lr=0.1)
    model.board.display = False
    before = [v.numpy() for v in model.trainable_variables]
    trainer = utils.Trainer(max_epochs=1, gradient_clip_val=1e-3)
    trainer.fit(model, data.__class__(batch_size=60_000))  # one step, one batch
    moved = np.sqrt(sum(np.sum((v.numpy() - w) ** 2)
                        for v, w in zip(model.trainable_variables, before, strict=True)))
    assert moved == pytest.approx(0.1 * 1e-3, rel=1e-3)  # lr x the clipped norm


@pytest.fixture(scope="module")
def both_trainers(data):
    """The same small MLP trained 2 epochs by d2l's own eager loop and by utils.Trainer
    (batches of 2,000: 30 steps an epoch, so d2l's loop is quick)."""
    big = data.__class__(batch_size=2000)
    models = {}
    for name, trainer in [("d2l", utils.d2l.Trainer(max_epochs=2)),  # d2l 1.0.3's, eager
                          ("utils", utils.Trainer(max_epochs=2))]:
        utils.set_seed()
        models[name] = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=16, lr=0.1)
        models[name].board.display = False
        trainer.fit(models[name], big)
        models[name].steps = (trainer.train_batch_idx, trainer.val_batch_idx)
    return models


def test_trainer_takes_the_steps_of_d2ls_own_loop(both_trainers):
    d2l_model, our_model = both_trainers["d2l"], both_trainers["utils"]
    assert our_model.steps == d2l_model.steps == (60, 10)
    # the same batches, in the same (reshuffled) order: the same weights, to round-off
    from course import checks

    assert checks.roundoff_units(d2l_model.trainable_variables,
                                 our_model.trainable_variables) <= checks.ROUNDOFF_LIMIT


def test_trainer_plots_what_d2ls_loop_plots_validation_included(both_trainers):
    d2l_board, our_board = both_trainers["d2l"].board, both_trainers["utils"].board
    assert list(our_board.data) == list(d2l_board.data) == ["train_loss", "val_loss", "val_acc"]
    for key, line in d2l_board.data.items():
        assert [p.x for p in our_board.data[key]] == [p.x for p in line]
        assert [float(p.y) for p in our_board.data[key]] == pytest.approx(
            [float(p.y) for p in line], rel=1e-5)


class Untraceable(utils.MLPScratch):
    """A model whose validation_step reads a number out of a tensor: it cannot be traced."""

    def validation_step(self, batch):
        self.seen = getattr(self, "seen", 0) + len(batch[1].numpy())
        super().validation_step(batch)


def test_trainer_runs_a_step_that_cannot_be_compiled_eagerly(data, capsys):
    utils.set_seed()
    model = Untraceable(num_inputs=784, num_outputs=10, num_hiddens=16, lr=0.1)
    model.board.display = False
    utils.Trainer(max_epochs=1).fit(model, data)
    assert model.seen == 10_000  # every test image, once
    assert len(model.board.data["val_acc"]) == 1
    assert "validation_step cannot be compiled" in capsys.readouterr().out


def test_importing_the_course_changes_nothing_in_d2l(fresh_import):
    assert fresh_import["d2l_defaults_kept"] and fresh_import["figure_formats_kept"]


def test_importing_the_course_leaves_the_garbage_collector_on(fresh_import):
    assert fresh_import["collector_on"]  # paused while TensorFlow loads, then on again


def test_trainer_seconds_is_the_wall_time_of_fit():
    import time

    small = utils.FashionMNIST(batch_size=256)
    small.train = (small.train[0][:1024], small.train[1][:1024])  # 4 steps
    small.val = (small.val[0][:512], small.val[1][:512])
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=16, lr=0.1)
    model.board.display = False
    trainer = utils.Trainer(max_epochs=2)
    start = time.perf_counter()
    trainer.fit(model, small)
    wall = time.perf_counter() - start
    assert 0.5 * wall < trainer.seconds <= wall  # what 01 prints per epoch: seconds / epochs


def test_notebook_02_trains_the_model_notebook_01_builds():
    from course import lecture

    source = lecture.definitions("01-mlp-scratch.ipynb")
    names = [node.name for node in source.body]
    assert {"MLPScratch", "relu", "forward"} <= set(names)
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=8, lr=0.1)
    X = tf.random.uniform((4, 28, 28, 1))
    H = tf.math.maximum(tf.reshape(X, (-1, 784)) @ model.W1 + model.b1, 0)
    assert np.array_equal(model(X).numpy(), (H @ model.W2 + model.b2).numpy())
