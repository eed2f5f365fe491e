"""What the slides claim, written by hand. `make spread` never rewrites this file.

tests/test_claims.py checks every claim against the stored seeds (spread.json). When a
re-measure contradicts one, that test fails and names the slide to change. The checks
themselves (names, bugs, limits) are in notebooks/course/registry.py.
"""

# The "Open questions" slide (02): the verdict the slides report for each variant against
# the baseline (course.registry.OPEN_QUESTIONS, judged together with Holm's correction).
OPEN_QUESTIONS = {
    "1024 hidden units": "no clear difference",
    "2 hidden layers": "no clear difference",
    "sigmoid": "lower",
    "N(0, 1) init": "no clear difference",
    "lr 0.01": "lower",
    "lr 1.0": "lower",
}

# Claims about means over the stored seeds: (slide, claim, quantity a, quantity b or None,
# what must hold). For a pair, it is about a - b in points on the same seeds.
CLAIMS = [
    ("01: Against softmax regression", "the MLP beats softmax regression",
     "MLP test accuracy", "softmax test accuracy", "interval above 0"),
    ("01: Against softmax regression", "by less than the deck's 1-2 points on average",
     "MLP test accuracy", "softmax test accuracy", "mean in 0 to 1"),
    ("01: Training", "the MLP reaches at least 83% test accuracy on average",
     "MLP test accuracy", None, "mean at least 0.83"),
    ("02: On every stored seed", "concise and scratch end within 2 points on average",
     "concise test accuracy", "scratch test accuracy", "mean within -2 to 2"),
]

# Every number the lecture prints (its visible cells' outputs), and what pins it: a check
# of course/registry.py run in that notebook, "nbval" (a cell tagged nbval-check-output,
# whose output nbval compares on every run), or a test in tests/ ("test:NAME").
# (notebook, what is printed, a regular expression its output lines match, the pins)
PRINTED = [
    ("01", "the device, the seed and the versions", r"\| seed \d+ \| Python",
     ["test:test_runtime_report_names_device_and_versions"]),
    ("01", "a batch's shapes", r"^images: \(256, 28, 28, 1\)", ["nbval"]),
    ("01", "a figure's text alternative", r"^Figure: ",
     ["test:test_every_figure_on_a_slide_has_a_text_alternative_with_its_numbers"]),
    ("01", "batches repeated in epoch 2", r"loader *: +\d+ of 235 batches",
     ["fresh_batches", "nbval"]),
    ("01", "the parameters' shapes and count", r"^(W1|b1|W2|b2): shape|^total: 203,530",
     ["nbval"]),
    ("01", "the initial weights' mean and std", r"^W[12]: mean",
     ["W1_init_mean", "W1_init_std", "W2_init_mean", "W2_init_std"]),
    ("01", "the initial biases' mean and std", r"^b[12]: mean", ["zero_biases"]),
    ("01", "our ReLU on five numbers", r"^array\(\[0\. , 0\. , 0\. , 0\.5, 2\. \]", ["nbval"]),
    ("01", "the logits' shape", r"^logits: \(256, 10\)", ["nbval"]),
    ("01", "the training board", r"^Figure: Training board",
     ["test:test_every_figure_on_a_slide_has_a_text_alternative_with_its_numbers"]),
    ("01", "test accuracy and loss", r"^test accuracy 0\.\d{4} \(all 10,000 images\), loss",
     ["mlp_accuracy", "evaluate", "test_data", "printed_table"]),
    ("01", "seconds per epoch", r"^\d+\.\d s/epoch, ",
     ["test:test_trainer_seconds_is_the_wall_time_of_fit"]),
    ("01", "the MLP against softmax table", r"^(MLP \(784-256-10\)|softmax regression) +\d",
     ["printed_table"]),
    ("01", "the verdict on the stored seeds", r"^\*\*MLP test accuracy is |^\*\*No clear",
     ["test:test_notebook_verdicts_agree_with_the_spread_file",
      "test:test_claim_holds_on_the_stored_seeds"]),
    ("02", "the device, the seed and the versions", r"\| seed \d+ \| Python",
     ["test:test_runtime_report_names_device_and_versions"]),
    ("02", "a figure's text alternative", r"^Figure: ",
     ["test:test_every_figure_on_a_slide_has_a_text_alternative_with_its_numbers"]),
    ("02", "the shapes after the first call", r"^after the first call: ", ["nbval"]),
    ("02", "each layer's parameters, and the total",
     r"^(Flatten|Dense) +output|^total: 203,530 parameters", ["nbval"]),
    ("02", "test accuracy and loss", r"^test accuracy 0\.\d{4} \(all 10,000 images\), loss",
     ["concise_accuracy"]),
    ("02", "the largest logit difference", r"^max \|logit difference\| over 10,000 images",
     ["forward_vs_keras"]),
    ("02", "the images predicted alike", r"^same prediction for [\d,]+ of 10,000 images",
     ["forward_vs_keras"]),
    ("02", "the gradients' largest difference, and the kinks",
     r"^235 steps: gradients differ by at most", ["gradients_vs_keras", "relu_kinks"]),
    ("02", "the speed table", r"^median of 3 runs of 20 steps|^(eager|tf\.function|Keras fit)",
     ["speed_table"]),
    ("02", "the open questions' baseline", r"^baseline \(256 ReLU units, lr 0\.1, 1 epoch\)",
     ["baseline_accuracy"]),
    ("02", "the verdicts on the stored seeds", r"^\*\*",
     ["test:test_notebook_verdicts_agree_with_the_spread_file",
      "test:test_open_question_verdict_is_the_one_the_slides_report"]),
    ("02", "training and test accuracy, and their gap", r"^training accuracy 0\.\d+, test",
     ["overfit_gap"]),
    ("02", "the stored seeds' gaps", r"^on \d+ stored seeds: ", ["stored_summary"]),
]
