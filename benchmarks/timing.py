"""Timing Keras training steps inside one `fit` (shared by the throughput benchmarks)."""

import time


def seconds_per_step(model, dataset, steps, warmup=1, windows=1):
    """Seconds per training step, timed by a callback inside one `fit` of `warmup + windows * steps` steps.

    One `fit`: Keras 3.15 retraced the train function on every other `fit`
    call (a flat cost of seconds per call), which a fit per timing window
    would count as step time. The first `warmup` steps are not timed; with
    several `windows` of `steps` steps, the fastest window counts.
    """
    import keras

    ends = []
    stamp = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + windows * steps, verbose=0, callbacks=[stamp])
    return min(ends[warmup - 1 + (w + 1) * steps] - ends[warmup - 1 + w * steps] for w in range(windows)) / steps
