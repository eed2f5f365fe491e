"""What the slides claim, written by hand. `make spread` never rewrites this file.

tests/test_claims.py checks every claim against the stored seeds (spread.json). When a
re-measure contradicts one, that test fails and names the slide to change.
"""

# The "Hyperparameters" slide (01): every training of the MLP uses these.
# checks.check_training compares a training with them after it ran.
HYPERPARAMETERS = {"num_hiddens": 256, "batch_size": 256, "lr": 0.1, "max_epochs": 10}

# The quantities checked against the stored seeds (checks.check without limits). Their
# limits share checks.FALSE_ALARM: each gets FALSE_ALARM / len(OUTCOME_CHECKS).
OUTCOME_CHECKS = [
    "MLP test accuracy",  # 01: Training
    "MLP minus softmax, points",  # 01: Against softmax regression
    "concise test accuracy",  # 02: Training
    "concise minus scratch, points",  # 02: On every stored seed
    "training minus test accuracy, points",  # 02: Open questions (overfitting)
]

# The "Open questions" slide (02): each variant against the baseline, one epoch. They are
# judged together (Holm). The value: the verdict the slides report for it.
BASELINE = "256 hidden units"
OPEN_QUESTIONS = {
    "1024 hidden units": "higher",
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
    ("01: Against softmax regression", "by about 1-2 points (the deck's claim)",
     "MLP test accuracy", "softmax test accuracy", "mean in 1 to 2"),
    ("01: Training", "the MLP reaches at least 83% test accuracy on average",
     "MLP test accuracy", None, "mean at least 0.83"),
    ("02: On every stored seed", "concise and scratch end within 2 points on average",
     "concise test accuracy", "scratch test accuracy", "mean within -2 to 2"),
]

# What each check in the notebooks is there to catch (README's Checks table shows it).
CATCHES = {
    "our loader: batches repeated in epoch 2": "the loader batching before it shuffles",
    "W1 init mean, standard errors": "weights not drawn from N(0, 0.01²)",
    "W1 init std, standard errors": "a wrong sigma",
    "W2 init mean, standard errors": "weights not drawn from N(0, 0.01²)",
    "W2 init std, standard errors": "a wrong sigma",
    "same seed, same draws: largest difference": "a set_seed that does not seed TensorFlow",
    "01 vs utils logits, u": "01's model and utils.MLPScratch drifting apart",
    "SGD step vs -lr x gradient, u": "an update of the wrong size or sign (trainer, optimizer)",
    "MLP distance from an affine map, u": "a ReLU left out: a linear model",
    "evaluate vs one-batch accuracy, images": "utils.evaluate miscounting",
    "MLP test accuracy": "training that does not train (data, labels, loss)",
    "MLP minus softmax, points": "an MLP no better than softmax regression",
    "concise test accuracy": "the concise model not training",
    "scratch vs Keras logits, u": "the scratch forward pass differing from Keras's",
    "concise minus scratch, points": "the two versions diverging",
    "scratch vs Keras gradients, worst step, u": "a different loss or gradient in one version",
    "steps at ReLU's kink, of 235": "a comparison that skips the steps it should compare",
    "training minus test accuracy, points": "evaluate mixing up training and test images",
}
