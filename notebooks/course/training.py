"""An epoch in one graph, for ``utils.Trainer``: the course's loader, and d2l's steps over it.

This code moves measured numbers: it is in the code fingerprint (tools/fingerprint.py).
"""

import numpy as np

from course.keras2 import d2l, tf


def loader(seeds, order, batch, steps):
    """A tf.data loader of `steps` batches an epoch: batch(order(seed), b) for each b, with
    a new seed from `seeds` each epoch (each pass over the loader).

    It keeps these four as `loader.recipe`, and compile_epoch builds the same batches inside
    its graph from them: tf.data's own handing over of batches costs about 0.5 ms each on 2
    cores (a quarter of an epoch of the course's MLP). Anything made from the loader (`.take`,
    say) is a plain tf.data pipeline again, iterated as any other.
    """
    def epoch(seed):
        this_epoch = order(seed)
        return tf.data.Dataset.range(steps).map(lambda b: batch(this_epoch, b))

    data = seeds.take(1).flat_map(epoch)  # one seed, then that epoch's batches
    data = data.apply(tf.data.experimental.assert_cardinality(steps))  # len(loader)
    options = tf.data.Options()  # tf.data's tuner: slower on 2 cores, and a loader left
    options.autotune.enabled = False  # before its end stalls (Keras fit, next(iter))
    options.experimental_optimization.apply_default_optimizations = False  # tf.data's
    # graph rewrites, redone at every epoch's start: they cost more than they save here
    data = data.prefetch(2).with_options(options)
    data.recipe = seeds, order, batch, steps
    return data


def compile_epoch(model, loader, step):
    """step over every batch of loader, compiled into one graph (no Python between batches).

    What step passes to model.plot is kept, a row per batch, instead of drawn (d2l's plot
    needs numbers; a graph has tensors). The returned function runs the pass and returns
    (steps, [(key, train, rows)]) for the caller to plot in d2l's order. A loader made by
    `loader` above has its batches built in the graph, from its recipe. While tracing,
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
        if hasattr(loader, "recipe"):  # the course's loader: the same batches, built here
            seeds, order, batch, steps = loader.recipe
            this_epoch = order(next(iter(seeds)))
            for b in tf.range(steps):
                traced_step(b, batch(this_epoch, b))
            return tf.constant(steps)
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
