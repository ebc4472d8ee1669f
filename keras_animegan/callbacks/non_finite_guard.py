"""Stops training at the first NaN or infinite loss, before anything saves the broken state."""

import math

import keras



class NonFiniteLossError(RuntimeError):
    """Raised when a training loss becomes NaN or infinite."""


def float_logs(logs):
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            pass
    return out


class NonFiniteLossGuard(keras.callbacks.Callback):
    """Stops training with `NonFiniteLossError` as soon as any logged loss is NaN or Inf.

    It raises inside `on_train_batch_end`, before later callbacks run, so a
    `TrainingCheckpoint` placed after it never saves the broken state.
    """

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: v for k, v in float_logs(logs).items() if not math.isfinite(v)}
        if bad:
            step = self.model.train_steps
            raise NonFiniteLossError(
                f"Non-finite loss at step {step}: "
                + ", ".join(f"{k}={v}" for k, v in sorted(bad.items()))
                + ". Training stopped; the last good checkpoint is kept. Try a lower "
                "--learning_rate, another --gan_mode, or --mixed_precision=none."
            )
