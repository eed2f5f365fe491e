"""Keep TensorFlow's C++ start-up log lines out of notebook outputs.

TensorFlow 2.21 prints some of them before it reads TF_CPP_MIN_LOG_LEVEL, and
ipykernel forwards the process's raw stderr into the notebook. With
capture_fd_output off they go to the terminal running Jupyter instead.
"""
import json
import sys

path = sys.argv[1]
with open(path) as f:
    spec = json.load(f)
flag = "--IPKernelApp.capture_fd_output=False"
if flag not in spec["argv"]:
    spec["argv"].append(flag)
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
