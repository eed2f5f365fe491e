"""The stored seeds (spread.json, `make spread`): reading them, and recording a run into them.

spread.json holds one row per run (a seed, or a seed under other numerics) and quantity.
A quantity is a check's registry key, or a measurement's name in words. `make spread`
configures a Recorder once per run (``record_to``); without one, nothing is written.
No TensorFlow here.
"""

import json
import os
from pathlib import Path

SPREAD_FILE = Path(__file__).resolve().with_name("spread.json")  # written by `make spread`


class Recorder:
    """Appends each quantity measured in this run to a JSON-lines file, for `make spread`.

    While it records, the checks whose limits come from the stored seeds record their value
    without judging it: those limits are what is being measured."""

    def __init__(self, path):
        self.path = Path(path)

    def __call__(self, quantity, value):
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"quantity": quantity, "value": value}) + "\n")


RECORDER = None  # set by record_to(); None in every lecture or test run


def record_to(path):
    """Record this run's measurements in path (what `make spread` calls in each kernel)."""
    global RECORDER
    RECORDER = Recorder(path)
    return RECORDER


def record(quantity, value):
    """Give one measurement to the recorder, if `make spread` configured one."""
    if RECORDER is not None:
        RECORDER(quantity, float(value))


def recording():
    return RECORDER is not None


def load_spread(path=None):
    """The stored seeds: {quantity: {run: value}}, from spread.json (see `make spread`)."""
    path = Path(path or os.environ.get("COURSE_SPREAD") or SPREAD_FILE)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: it holds the seeds the checks and comparisons use. Copy "
            "the course's notebooks/course/ folder next to utils.py, or run `make spread` "
            "to measure it again.") from None
    spread = {}
    for row in stored["rows"]:
        spread.setdefault(row["quantity"], {})[row["run"]] = row["value"]
    return spread


def seed_values(stored, quantity):
    """The values of quantity on the plain seeds (runs named by a number alone)."""
    return [v for run, v in stored.get(quantity, {}).items() if run.isdigit()]


def paired(stored, a, b, scale=100):
    """scale * (a - b) on each plain seed stored for both."""
    seeds = sorted(set(stored.get(a, {})) & set(stored.get(b, {})), key=str)
    return [scale * (stored[a][s] - stored[b][s]) for s in seeds if s.isdigit()]
