"""Shared test set-up: import notebooks/utils.py as `utils`, keep loopback usable, and write
the solved notebooks that nbval runs (build/solved/, see tools/solutions.py)."""
import fcntl
import os
import socket
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))
sys.path.insert(0, str(ROOT / "tools"))
SOLVED = ROOT / "build" / "solved"

# nbval runs the notebooks with every exercise solved (testpaths: build/solved), so every
# solution must pass its check in CI. The copies are written here, at import, because
# pytest decides what to collect right after loading this file. xdist's workers import it
# too, later, while the controller's copies are in use: only the controller writes them.
if "PYTEST_XDIST_WORKER" not in os.environ:
    import solutions

    solutions.write(SOLVED, solutions.solved)


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


def pytest_report_header(config):
    # The device the notebooks and kernels train on here (GPU or CPU, TF32 or float32).
    import utils

    return f"course kernel: {utils.runtime_report()}"
