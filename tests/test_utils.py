"""Unit tests for notebooks/utils.py and _course.py: data checks, bad inputs, the Keras guard,
the helpers, the stored spread and the verdicts."""
import gzip
import json
import os
import subprocess
import sys

import _course
import numpy as np
import pytest
import utils
from conftest import ROOT

tf = utils.tf
NAMES = list(_course.FASHION_MNIST)
DEBIAN = _course.DEBIAN_DIR  # the real package folder, before any test patches it
needs_data = pytest.mark.skipif(
    not all((DEBIAN / n).exists() for n in NAMES),
    reason=f"Debian's dataset-fashion-mnist is not installed ({DEBIAN})",
)


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    """A Keras home with no data, no Debian copy, and no network to download from."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(_course, "DEBIAN_DIR", tmp_path / "no-debian-package")
    monkeypatch.setattr(_course, "DOWNLOAD_URL", "http://127.0.0.1:9/")  # nothing listens
    return tmp_path


def rewrite(path, edit):
    """Decompress a gzip file, apply edit(bytes) -> bytes, and compress it back."""
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(edit(raw)))


def copy_into_cache(name):
    target = _course.data_dir() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((DEBIAN / name).read_bytes())
    return target


@needs_data
@pytest.mark.parametrize("name", NAMES)
def test_debian_files_pass_verification(name):
    _course.verify_file(DEBIAN / name)


@needs_data
def test_prepare_copies_debian_files_into_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folder = _course.prepare_fashion_mnist(quiet=True)
    assert folder == tmp_path / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)


def test_missing_data_offline_names_both_remedies(empty_home):
    with pytest.raises(_course.DataError) as err:
        _course.prepare_fashion_mnist(quiet=True)
    message = str(err.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "connect to the internet once" in message
    assert not list(_course.data_dir().iterdir())  # no half-downloaded file left behind


@needs_data
def test_truncated_file_is_reported_by_name_and_kept(empty_home):
    for name in NAMES:
        copy_into_cache(name)
    target = _course.data_dir() / "train-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(_course.DataError, match="train-labels-idx1-ubyte.gz is damaged"):
        _course.prepare_fashion_mnist(quiet=True)
    assert target.stat().st_size == 1000  # left in place for the user


@needs_data
def test_changed_pixel_fails_the_checksum(empty_home):
    target = copy_into_cache("t10k-images-idx3-ubyte.gz")
    rewrite(target, lambda raw: raw[:-1] + bytes([(raw[-1] + 1) % 256]))
    with pytest.raises(_course.DataError, match="do not match the published sha256"):
        _course.verify_file(target)


@needs_data
def test_label_outside_0_to_9_is_rejected(empty_home):
    target = copy_into_cache("t10k-labels-idx1-ubyte.gz")
    rewrite(target, lambda raw: raw[:-1] + bytes([42]))
    with pytest.raises(_course.DataError, match="labels outside 0-9"):
        _course.verify_file(target)


@needs_data
def test_wrong_image_count_is_rejected(empty_home):
    target = copy_into_cache("t10k-images-idx3-ubyte.gz")
    rewrite(target, lambda raw: raw[:16 + 784 * 500])
    with pytest.raises(_course.DataError, match="header/size"):
        _course.verify_file(target)


@needs_data
def test_damaged_cache_file_is_not_replaced_by_debian_copy(empty_home, monkeypatch):
    monkeypatch.setattr(_course, "DEBIAN_DIR", DEBIAN)
    target = copy_into_cache("train-labels-idx1-ubyte.gz")
    target.write_bytes(b"not gzip at all")
    with pytest.raises(_course.DataError):
        _course.prepare_fashion_mnist(quiet=True)
    assert target.read_bytes() == b"not gzip at all"


def test_make_data_exits_with_one_line_error_when_data_is_missing(empty_home):
    with pytest.raises(SystemExit) as exit_:
        _course.main()
    assert str(exit_.value.code).startswith("error: Fashion-MNIST is not on this machine")


@pytest.mark.parametrize("version", [(3, 9), (3, 14)])
def test_unsupported_python_is_refused_with_the_fix(version):
    with pytest.raises(_course.CourseEnvironmentError, match="supports Python 3.10-3.13"):
        _course.check_python(version)


@pytest.mark.parametrize("version", [(3, 10), (3, 13)])
def test_supported_python_passes(version):
    _course.check_python(version)


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


@pytest.fixture(scope="module")
def data():
    _course.prepare_fashion_mnist(quiet=True)
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


def test_loader_scales_pixels_to_unit_interval(data):
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (256, 28, 28, 1) and X.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(X)) and float(tf.reduce_max(X)) <= 1.0
    assert y.dtype == tf.int32


def test_evaluate_counts_every_test_image(data):
    always_class_0 = lambda X: tf.zeros((len(X), 10)) + tf.one_hot([0], 10)  # noqa: E731
    accuracy, loss = utils.evaluate(always_class_0, data)
    assert accuracy == 1000 / 10000  # Fashion-MNIST's test set has 1,000 images per class
    # logits (1, 0, ..., 0): cross-entropy log(e + 9) - 1 on class 0, log(e + 9) elsewhere
    assert loss == pytest.approx(np.log(np.e + 9) - 0.1, rel=1e-5)


def test_mlp_scratch_has_203530_parameters():
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
    assert sum(int(tf.size(p)) for p in model.trainable_variables) == 203_530


def test_device_name_matches_visible_devices():
    expected = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    assert utils.device_name().startswith(expected)


def test_course_seed_environment_variable_picks_the_seed():
    done = subprocess.run(
        [sys.executable, "-c", "import utils; print(utils.SEED, utils.FashionMNIST.__init__"
         ".__defaults__[-1], utils.runtime_report().split(' | ')[1])"],
        cwd=ROOT / "notebooks", env={**os.environ, "COURSE_SEED": "7"},
        capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["7", "None", "seed", "7"], done.stderr[-2000:]


def test_matmul_precision_is_float32_without_a_tf32_gpu():
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible: its precision depends on the GPU")
    assert utils.matmul_precision() == ("float32", 2.0 ** -24)


def test_roundoff_units_measures_relative_difference_in_units_of_u():
    u = utils.matmul_precision()[1]
    a = [np.full(100, 2.0), np.full(100, 2.0)]
    b = [a[0] * (1 + 4 * u), a[1]]
    assert utils.roundoff_units(a, b) == pytest.approx(4 / np.sqrt(2), rel=1e-6)
    assert utils.roundoff_units(np.ones(3), np.ones(3)) == 0.0


def test_roundoff_limit_catches_a_model_that_differs():
    model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
    X = tf.random.uniform((32, 28, 28, 1))
    same, other = model(X), model(X) + 1e-3 * tf.random.normal((32, 10))
    assert utils.roundoff_units(same, model(X)) <= utils.ROUNDOFF_LIMIT
    assert utils.roundoff_units(same, other) > utils.ROUNDOFF_LIMIT


def test_check_records_the_value_and_fails_outside_its_limits(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("COURSE_RECORD", str(record))
    utils.check("inside", 0.85, low=0.83)
    with pytest.raises(AssertionError, match="outside: 0.82 is outside"):
        utils.check("outside", 0.82, low=0.83)
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(r["quantity"], r["value"], r["limits"]) for r in rows] == [
        ("inside", 0.85, [0.83, None]), ("outside", 0.82, [0.83, None])]


def test_run_names_the_measurement_after_the_call(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RECORD", str(tmp_path / "record.jsonl"))

    def try_width(hiddens=(256,), lr=0.1):
        return hiddens[0] * lr

    assert utils.run(try_width, hiddens=(64,)) == ("try_width(hiddens=(64,))", 6.4)
    assert utils.run(try_width) == ("try_width()", 25.6)


def write_spread(path, values):
    rows = [{"run": str(seed), "quantity": name, "value": value, "limits": None}
            for name, by_seed in values.items() for seed, value in by_seed.items()]
    path.write_text(json.dumps({"rows": rows}))
    return path


def test_spread_limits_are_the_stored_range_widened_by_5_standard_deviations(tmp_path,
                                                                            monkeypatch):
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    values = {0: 0.84, 1: 0.85, 2: 0.86}  # sd 0.01
    monkeypatch.setenv("COURSE_SPREAD", str(write_spread(tmp_path / "s.json", {"acc": values})))
    low, high = utils.spread_limits("acc")
    assert (low, high) == (pytest.approx(0.79), pytest.approx(0.91))
    utils.check("acc", 0.80)
    with pytest.raises(AssertionError, match="acc: 0.78 is outside"):
        utils.check("acc", 0.78)


def test_missing_spread_file_says_where_it_comes_from(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    monkeypatch.setenv("COURSE_SPREAD", str(tmp_path / "nowhere.json"))
    with pytest.raises(FileNotFoundError, match="make spread"):
        utils.spread_limits("acc")


def test_verdict_says_no_clear_difference_when_the_interval_holds_0():
    sentence = utils.verdict([1.0, -1.2, 0.5, -0.4, 0.3], "deeper", "baseline")
    assert sentence.startswith("**No clear difference.**")
    assert "the interval holds 0" in sentence


def test_verdict_names_the_winner_and_on_how_many_seeds():
    sentence = utils.verdict([1.1, 1.5, 2.0, 1.3, -0.2, 1.8], "MLP", "softmax")
    assert sentence.startswith("**MLP is higher on 5 of 6 seeds.**")
    assert "-0.20 to +2.00 points" in sentence
    loser = utils.verdict([-30.0, -25.0, -41.0], "lr 1.0", "baseline")
    assert loser.startswith("**baseline is higher on 3 of 3 seeds.**")


def test_interval_matches_student_t_for_10_differences():
    d = np.arange(10.0)  # mean 4.5, sd 3.0277
    mean, low, high = utils.interval(d)
    assert mean == 4.5
    assert high - mean == pytest.approx(2.262 * 3.02765 / np.sqrt(10), rel=1e-4)


def test_compare_plots_the_stored_seeds_and_this_run(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    stored = {"a": {0: 0.80, 1: 0.82, 2: 0.81}, "b": {0: 0.78, 1: 0.80, 2: 0.795}}
    monkeypatch.setenv("COURSE_SPREAD", str(write_spread(tmp_path / "s.json", stored)))
    shown = []
    monkeypatch.setattr(utils.plt, "show", lambda: shown.append(utils.plt.gcf()))
    text = utils.compare(utils.Result("a", 0.81), utils.Result("b", 0.80)).data
    assert text.startswith("**a is higher on 3 of 3 seeds.**")
    assert "This run (seed" in text and "+1.00 points" in text
    labels = [t.get_text() for t in shown[0].axes[0].get_yticklabels()]
    assert labels == [f"this run (seed {utils.SEED})", "3 stored seeds", "mean, 95% interval"]
    claimed = utils.compare(utils.Result("a", 0.81), utils.Result("b", 0.80), claim=(1, 2)).data
    assert claimed.endswith("The claim, 1–2 points: 2 of 3 seeds fall in it, and their mean "
                            "is inside it.")
    new = utils.compare(utils.Result("a with 64 units", 0.7), utils.Result("b", 0.80)).data
    assert "has no stored seeds: this one run (-10.00 points) is not a finding" in new


def test_nothing_is_installed_when_d2l_and_tf_keras_are_present(monkeypatch):
    monkeypatch.setattr(_course.subprocess, "run", lambda *a, **k: pytest.fail("pip was run"))
    assert _course.install_missing(tf.__version__) == []


def test_failed_install_says_what_was_missing_and_what_to_do(monkeypatch):
    real_find_spec = _course.importlib.util.find_spec
    monkeypatch.setattr(_course.importlib.util, "find_spec",
                        lambda name: None if name == "d2l" else real_find_spec(name))
    monkeypatch.setattr(_course, "D2L", "d2l==999.0")  # a release no index has
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # a real pip run, offline
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with pytest.raises(_course.CourseEnvironmentError) as err:
        _course.install_missing(tf.__version__)
    assert "Could not install d2l==999.0" in str(err.value)
    assert "make install" in str(err.value)
