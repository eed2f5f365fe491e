"""Shared test set-up: import notebooks/utils.py as `utils`, keep loopback usable, write
the solved notebooks that nbval runs (build/solved/, see tools/solutions.py), and, under
CI, fail every skip whose reason is not listed in ALLOWED_SKIPS."""
import fcntl
import os
import socket
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))
sys.path.insert(0, str(ROOT / "tools"))
SOLVED = ROOT / "build" / "solved"

# nbval runs the notebooks with every exercise solved (testpaths: build/solved), so every
# solution must pass its check in CI. The copies are written here, at import, because
# pytest decides what to collect right after loading this file. xdist's workers import it
# too, later, while the controller's copies are in use: only the controller writes them.
# Each runs in full in one of the two kernels a student may pick: 01 in the course kernel
# the notebooks name, 02 in the environment's plain `python3` kernel (JupyterLab's default,
# with Keras 2 from the setup cell and the .pth file alone), so no notebook runs twice.
PLAIN_KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
IN_PLAIN_KERNEL = ["02-mlp-concise.ipynb"]
if "PYTEST_XDIST_WORKER" not in os.environ:
    import nbformat
    import solutions

    solutions.write(SOLVED, solutions.solved)
    for name in IN_PLAIN_KERNEL:
        nb = nbformat.read(SOLVED / name, as_version=4)
        nb.metadata.kernelspec = PLAIN_KERNEL
        nbformat.write(nb, SOLVED / name)


# The scopes xdist hands out whole (a notebook, or a test module and its fixtures) that
# take longest, first: with the long ones started at once, the short ones fill in beside
# them and no long one is left to run alone at the end. Seconds, run alone on 2 cores
# (`pytest -n 0 PATH`, a Zen 3, 2026-12-07): 76 (89 before the solved copy's exercises ran
# on 10,000 images), 59, 64 (9 offline), 41, 38, 36-44, 30; every other scope under 10.
# Sending the static decks third (before platforms and utils) looked faster in a
# scheduling simulation and in one unpaired run, but alternating runs of `unshare -n make
# test` gave 199.9 and 201.0 s that way against 193.2 and 196.6 s this way (same hour,
# 2026-12-07), and online `make test` 219.9 and 218.7 s against 204.8 and 224.0 s (no
# clear difference), so this order stays.
LONGEST_FIRST = ["build/solved/02-mlp-concise.ipynb", "tests/test_rise.py",
                 "tests/test_platforms.py", "tests/test_utils.py", "tests/test_slides.py",
                 "tests/test_exercises.py", "build/solved/01-mlp-scratch.ipynb"]


def pytest_collection_modifyitems(items):
    def rank(item):
        scope = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(scope) if scope in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: a notebook's cells keep their order


# Debian's Chromium, in two builds: the desktop browser (package chromium) and its headless
# shell (package chromium-headless-shell: the same Blink and V8, without the desktop around
# them). The tests drive the shell when it is installed: per page it takes a quarter of the
# desktop browser's CPU time to open and a third to answer each call (CHANGELOG, 2026-12-08).
# test_slides checks that the two read two slides of each deck alike.
DESKTOP_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM")
                or (CHROMIUM_SHELL if CHROMIUM_SHELL.exists() else DESKTOP_CHROMIUM))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def launch(playwright, executable):
    """Chromium at `executable`, headless, or the test skipped when it is not installed."""
    if not executable.exists():
        pytest.skip(f"chromium is not installed ({executable}; apt-get install "
                    "chromium-headless-shell chromium)")
    return playwright.chromium.launch(executable_path=str(executable), headless=True,
                                      args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def playwright():
    """Playwright's driver: one per test process (xdist worker)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    """The tests' chromium (CHROMIUM): one per test process."""
    chromium = launch(playwright, CHROMIUM)
    yield chromium
    chromium.close()


def loopback_works():
    """True if this process can open a TCP connection to itself on 127.0.0.1."""
    try:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            socket.create_connection(server.getsockname(), timeout=2).close()
        return True
    except OSError:
        return False


def bring_loopback_up():
    """Set IFF_UP on `lo`, as `ip link set lo up` does (needs root in this namespace)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, siocgifflags, request))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def pytest_configure(config):
    # Kernels and Jupyter talk over 127.0.0.1. A fresh network namespace
    # (`unshare -n make test`) starts with loopback down: bring it up. That gives
    # the tests no route to the internet, only to this machine itself.
    if not loopback_works() and os.geteuid() == 0:
        bring_loopback_up()


# The device the notebooks and kernels train on here (GPU or CPU, TF32 or float32), shown
# in the summary. A worker reports it as it ends (its tests imported TensorFlow already): in
# the header, the controller's own TensorFlow import held every worker back by 4 s.
COURSE_KERNEL = pytest.StashKey[str]()


def quietly(compute):
    """compute(), with anything written to file descriptor 2 meanwhile thrown away. On a
    machine without a GPU driver, TensorFlow's C++ layer logs there as it loads ("Could not
    find cuda drivers") and as it first lists the devices ("failed call to cuInit"); at the
    end of a run, pytest no longer captures it, and those lines landed among its dots."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            return compute()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def course_kernel_report():
    def report():
        import utils

        return utils.runtime_report()

    return quietly(report)


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # an xdist worker
        session.config.workeroutput["course_kernel"] = course_kernel_report()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):  # xdist's controller, as each worker ends
    node.config.stash[COURSE_KERNEL] = node.workeroutput.get("course_kernel", "")


def pytest_terminal_summary(terminalreporter, config):
    report = config.stash.get(COURSE_KERNEL, "")
    if not report and not hasattr(config, "workerinput"):  # no worker reported it (-n 0)
        report = course_kernel_report()
    terminalreporter.write_line(f"course kernel: {report}")


# The only skips CI may take (CI=true): the start of the skip's reason, and why it is fine.
# Any other skip under CI fails the run: a skipped test there hides a missing piece.
ALLOWED_SKIPS = {
    "the package registry is unreachable (offline)":
        "the Colab-like run must install TensorFlow 2.20 from the registry; CI machines "
        "without it cannot run that test at all",
    "a GPU is visible":
        "the float32 precision test is about CPUs; on a GPU, u comes from the GPU",
}


def skip_reason(report):
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        reason = skip_reason(report)
        if not reason.startswith(tuple(ALLOWED_SKIPS)):
            report.outcome = "failed"
            report.longrepr = (
                f"skipped under CI: {reason}. CI runs every test: install what it needs "
                "(.ci/run), or, if it cannot run on CI machines, list the reason in "
                "ALLOWED_SKIPS in tests/conftest.py with why.")
