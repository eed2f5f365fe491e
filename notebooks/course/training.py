"""An epoch in one graph, for ``utils.Trainer``: d2l's steps, with what they plot kept.

This code moves measured numbers: it is in the code fingerprint (tools/fingerprint.py).
"""

import numpy as np

from course.keras2 import d2l, tf


def compile_epoch(model, loader, step):
    """step over every batch of loader, compiled into one graph (no Python between batches).

    What step passes to model.plot is kept, a row per batch, instead of drawn (d2l's plot
    needs numbers; a graph has tensors). The returned function runs the pass and returns
    (steps, [(key, train, rows)]) for the caller to plot in d2l's order. While tracing,
    d2l's accuracy, whose reshape(Y, -1) a graph refuses, is the same formula written for a
    graph; a model's own accuracy is used as it is. A step that cannot be traced at all
    (one that calls .numpy(), say) runs eagerly, batch by batch, as in d2l.
    """
    keys, rows = [], []

    def captured(batch):
        """step(batch); return what it plotted: [(key, train, value)]."""
        calls = []
        model.plot = lambda key, value, train: calls.append((key, train, value))
        if type(model).accuracy is d2l.Classifier.accuracy:
            model.accuracy = graph_accuracy
        try:
            step(batch)
        finally:
            del model.plot
            model.__dict__.pop("accuracy", None)
        return calls

    def traced_step(i, batch):
        calls = captured(batch)
        if not rows:  # the first trace: a variable per plotted quantity, a row per batch
            with tf.init_scope():
                for key, train, value in calls:
                    value = tf.convert_to_tensor(value)
                    keys.append((key, train))
                    rows.append(tf.Variable(tf.zeros((len(loader), *value.shape), value.dtype),
                                            trainable=False))
        for row, (_, _, value) in zip(rows, calls, strict=True):
            row[i].assign(value)

    @tf.function
    def epoch():
        i = tf.constant(0)
        for batch in loader:
            traced_step(i, batch)
            i += 1
        return i

    def eagerly():
        plotted, steps = {}, 0
        for batch in loader:
            for key, train, value in captured(batch):
                plotted.setdefault((key, train), []).append(np.asarray(value))
            steps += 1
        return steps, [(key, train, np.stack(v)) for (key, train), v in plotted.items()]

    def run():
        if getattr(run, "eager", False):
            return eagerly()
        try:
            graph = epoch.get_concrete_function()  # traces once; nothing runs yet
        except Exception as err:  # noqa: BLE001  (whatever stops tracing: run it as d2l does)
            print(f"utils.Trainer: {step.__name__} cannot be compiled ({type(err).__name__}: "
                  f"{str(err).splitlines()[0][:200]}); it runs eagerly, batch by batch.")
            run.eager = True
            return eagerly()
        steps = int(graph())
        return steps, [(key, train, row.numpy()) for (key, train), row in zip(keys, rows)]

    return run


def graph_accuracy(Y_hat, Y, averaged=True):
    """d2l.Classifier.accuracy, with a reshape a graph accepts."""
    Y_hat = tf.reshape(Y_hat, (-1, Y_hat.shape[-1]))
    compare = tf.cast(tf.cast(tf.argmax(Y_hat, axis=1), Y.dtype) == tf.reshape(Y, [-1]),
                      tf.float32)
    return tf.reduce_mean(compare) if averaged else compare
