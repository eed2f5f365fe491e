"""The registered course kernel: the lecture's first line works first.

Training in this kernel is what nbval checks, on both notebooks; here, only what a
student's first cell does: d2l before anything else, then the course's data and model.
"""
import pytest
from conftest import ROOT
from course import environment
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import start_new_kernel

DECK_FIRST = """
from d2l import tensorflow as d2l
import tensorflow as tf
print(tf.keras.__name__.split(".")[0])
import utils
utils.set_seed(0)
data = utils.FashionMNIST(batch_size=256)
model = utils.MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
X, y = next(iter(data.train_dataloader()))
print(*model(X).shape)
"""


def run(client, code):
    """Execute code in the kernel; return its status and what it printed."""
    streams = {"stdout": "", "stderr": ""}

    def collect(msg):
        if msg["msg_type"] == "stream":
            streams[msg["content"]["name"]] += msg["content"]["text"]
        elif msg["msg_type"] == "error":
            streams["stderr"] += "\n".join(msg["content"]["traceback"])

    reply = client.execute_interactive(code, output_hook=collect, timeout=300)
    return reply["content"]["status"], streams


@pytest.fixture(scope="module")
def deck_first_run():
    """A freshly started course kernel running DECK_FIRST, as a student would."""
    try:
        KernelSpecManager().get_kernel_spec(environment.KERNEL)
    except NoSuchKernel:
        pytest.fail("the 'mlp-course' kernel is not registered: run `make install`")
    manager, client = start_new_kernel(kernel_name=environment.KERNEL, cwd=str(ROOT / "notebooks"))
    try:
        yield run(client, DECK_FIRST)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_fresh_kernel_imports_d2l_first_and_runs_the_model(deck_first_run):
    status, streams = deck_first_run
    assert status == "ok", streams["stderr"]
    assert streams["stdout"].split() == ["tf_keras", "256", "10"]


def test_kernel_keeps_tensorflow_log_lines_out_of_outputs(deck_first_run):
    status, streams = deck_first_run
    assert status == "ok"
    assert streams["stderr"] == ""
