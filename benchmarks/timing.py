"""Timing Keras training steps inside one `fit` (shared by the throughput benchmarks)."""

import time


def seconds_per_step(model, dataset, steps, warmup=1):
    """Seconds per training step, timed by a callback inside one `fit` of `warmup + steps` steps.

    One `fit`: Keras 3.15 retraced the train function on every other `fit`
    call (a flat cost of seconds per call), which a fit per timing window
    would count as step time. The first `warmup` steps are not timed.
    """
    import keras

    ends = []
    stamp = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, verbose=0, callbacks=[stamp])
    return (ends[-1] - ends[warmup - 1]) / steps
