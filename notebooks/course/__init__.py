"""The machinery behind the lecture: environment, data checks, the check registry, the stored
seeds and their statistics, figures, and the exercises. Students read ../utils.py instead.

environment  what the course needs of Python, TensorFlow and Keras (no TensorFlow)
keras2       TensorFlow with tf.keras as Keras 2, checked; d2l after it
data         Fashion-MNIST, verified before any training (no TensorFlow)
training     an epoch in one graph, for utils.Trainer
registry     every check, defined once: name, the bug it catches, limits
checks       how the hidden cells check each claim
seeds        the stored seeds (spread.json): reading them, recording a run
stats        paired intervals, Holm, prediction limits: the Verdict value
figures      figures with text alternatives, and d2l's training board
exercises/   learntools-style checks, hints and solutions: core, nb01, nb02
"""
