"""Checkpointing that resumes at the exact step: atomic writes, never over a good state with a broken one."""

import logging
import os

import keras
import numpy as np

logger = logging.getLogger("keras_animegan")


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves model + optimizer state every `every_n_steps` steps and at every epoch end.

    The training step count is the generator optimizer's `iterations`, which
    is restored with the weights, so a resumed run knows where it stopped
    (also mid-epoch). Writes are atomic (temporary file + rename), and a state
    with non-finite weights is never written over the last good one.

    Args:
        directory: where `latest.weights.h5` lives.
        every_n_steps: save interval in steps; 0 or None: epoch ends only.
    """

    FILENAME = "latest.weights.h5"

    def __init__(self, directory, every_n_steps=None):
        super().__init__()
        self.directory = os.fspath(directory)
        self.every_n_steps = every_n_steps or 0
        self.path = os.path.join(self.directory, self.FILENAME)

    def exists(self):
        return os.path.exists(self.path)

    def restore(self, model):
        """Loads the latest checkpoint into `model` (compiled); returns the restored step or 0."""
        if not self.exists():
            return 0
        model.load_weights(self.path)
        return model.train_steps

    def save(self):
        model = self.model
        weights = model.weights + model.g_optimizer.variables + model.d_optimizer.variables
        if not all(np.all(np.isfinite(np.asarray(v, dtype=np.float32))) for v in weights if v.dtype != "string"):
            logger.warning("Not checkpointing step %d: some weights are not finite.", model.train_steps)
            return False
        os.makedirs(self.directory, exist_ok=True)
        tmp = os.path.join(self.directory, "saving.weights.h5")
        model.save_weights(tmp, overwrite=True)
        os.replace(tmp, self.path)
        return True

    def on_train_batch_end(self, batch, logs=None):
        if self.every_n_steps and self.model.train_steps % self.every_n_steps == 0:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.save()
