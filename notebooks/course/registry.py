"""Every check the notebooks run, defined once: its name, the bug it catches, its limits.

A check cell calls ``checks.check(ID, value)``; the error names the check and says what
it catches. The README's Checks table, ``make mutants`` and the tests read this table, so
a name changed here changes everywhere. Limits are fixed, or from the stored seeds
(``spread=True``): then a new seed crosses them with chance FALSE_ALARM / (their number).
"""

import math
from typing import NamedTuple

ROUNDOFF_LIMIT = 32  # u: the most two orders of one formula may differ (README: measured)
FALSE_ALARM = 0.001  # the chance that a correct course fails a run's outcome checks
Z_LIMIT = 5  # standard errors: a false alarm about 1 in 1.7 million per check

# The "Hyperparameters" slide (01): every training of the MLP uses these.
HYPERPARAMETERS = {"num_hiddens": 256, "batch_size": 256, "lr": 0.1, "max_epochs": 10}
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000  # the data slide's counts

# The "Open questions" slide (02): each variant against the baseline, judged together.
BASELINE = "256 hidden units"
OPEN_QUESTIONS = ["1024 hidden units", "2 hidden layers", "sigmoid", "N(0, 1) init",
                  "lr 0.01", "lr 1.0"]


class Check(NamedTuple):
    """One check: its name in words, the bug it catches, and where a value must lie."""
    name: str
    catches: str
    low: float = -math.inf
    high: float = math.inf
    spread: bool = False  # limits from the stored seeds instead of low and high

    def limits_text(self):
        if self.spread:
            return "from the stored seeds"
        return " and ".join(([f"≥ {self.low:g}"] if math.isfinite(self.low) else []) +
                            ([f"≤ {self.high:g}"] if math.isfinite(self.high) else []))


CHECKS = {
    # 01-mlp-scratch
    "fresh_batches": Check("our loader: batches repeated in epoch 2",
                           "a loader repeating its batches (batching before it shuffles, "
                           "or one shuffle for every epoch)", high=0),
    "W1_init_mean": Check("W1 init mean, standard errors",
                          "weights not drawn from N(0, 0.01²)", -Z_LIMIT, Z_LIMIT),
    "W1_init_std": Check("W1 init std, standard errors", "a wrong sigma", -Z_LIMIT, Z_LIMIT),
    "W2_init_mean": Check("W2 init mean, standard errors",
                          "weights not drawn from N(0, 0.01²)", -Z_LIMIT, Z_LIMIT),
    "W2_init_std": Check("W2 init std, standard errors", "a wrong sigma", -Z_LIMIT, Z_LIMIT),
    "zero_biases": Check("nonzero initial biases", "biases that do not start at zero", high=0),
    "seeding": Check("same seed, same draws: largest difference",
                     "a set_seed that does not seed TensorFlow", high=0),
    "settings": Check("the slide's settings and steps, wrong ones",
                      "a changed hyperparameter or a skipped batch", high=0),
    "training_data": Check("training images and labels not as in the file, per epoch",
                           "training on other images, or on images with wrong labels",
                           high=0),
    "test_data": Check("test images and labels not as in the file",
                       "evaluating on other images than the test file's", high=0),
    "sgd_step": Check("SGD step vs -lr x gradient, u",
                      "an update of the wrong size or sign (trainer, optimizer)",
                      high=ROUNDOFF_LIMIT),
    "affine_gap": Check("MLP distance from an affine map, u",
                        "a ReLU left out: a linear model", low=ROUNDOFF_LIMIT),
    "evaluate": Check("evaluate vs one-batch accuracy, images", "utils.evaluate miscounting",
                      high=5),  # a near-tie may round the other way in another batch
    "mlp_accuracy": Check("MLP test accuracy after 10 epochs",
                          "training that does not train (data, labels, loss)", spread=True),
    "mlp_vs_softmax": Check("MLP minus softmax, points",
                            "an MLP no better than softmax regression", spread=True),
    "printed_table": Check("numbers in the comparison table unlike the measured ones",
                           "a table that prints another number than it measured", high=0),
    # 02-mlp-concise
    "concise_accuracy": Check("concise test accuracy after 10 epochs",
                              "the concise model not training", spread=True),
    "forward_vs_keras": Check("scratch vs Keras logits, u",
                              "the scratch forward pass differing from Keras's",
                              high=ROUNDOFF_LIMIT),
    "concise_vs_scratch": Check("concise minus scratch, points", "the two versions diverging",
                                spread=True),
    "gradients_vs_keras": Check("scratch vs Keras gradients, worst step, u",
                                "a different loss or gradient in one version",
                                high=ROUNDOFF_LIMIT),
    "relu_kinks": Check("steps excused at ReLU's kink, of 235",
                        "a comparison that skips the steps it should compare", high=5),
    "speed_table": Check("speed-table entries that do not follow from its timings",
                         "a speed table that prints other numbers than it timed", high=0),
    "baseline_accuracy": Check("1-epoch baseline test accuracy",
                               "the open questions' baseline not training", spread=True),
    "overfit_gap": Check("overfitting: training minus test accuracy, points",
                         "evaluate mixing up training and test images", spread=True),
    "stored_summary": Check("stored-seed summary unlike spread.json",
                            "a slide summarising the stored seeds wrongly", high=0),
}

OUTCOME_CHECKS = [key for key, check in CHECKS.items() if check.spread]
