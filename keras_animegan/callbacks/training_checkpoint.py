"""Checkpointing that resumes at the exact step: atomic writes, never over a good state with a broken one."""

import errno
import io
import logging
import os
import shutil
import time

import keras
import numpy as np

from keras_animegan.utils import safe_files

logger = logging.getLogger("keras_animegan")


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves model + optimizer state every `every_n_steps` steps, every `every_minutes` minutes of training, and
    at every epoch end (once per step).

    The training step count is the generator optimizer's `iterations`, which
    is restored with the weights, so a resumed run knows where it stopped
    (also mid-epoch). Writes are atomic (temporary file + rename), and a state
    with non-finite weights is never written over the last good one.

    Args:
        directory: where `latest.weights.h5` lives.
        every_n_steps: save interval in steps; 0 or None: none.
        every_minutes: save once this many minutes passed since the last save (or the start of training),
            checked after each step; 0 or None: none. A run killed at any moment loses at most this much
            training (plus one step and the time of a save).
    """

    FILENAME = "latest.weights.h5"

    def __init__(self, directory, every_n_steps=None, every_minutes=None, clock=time.monotonic):
        super().__init__()
        self.directory = os.fspath(directory)
        self.every_n_steps = every_n_steps or 0
        self.every_seconds = 60.0 * (every_minutes or 0)
        self.clock = clock
        self.last_save_time = None
        self.path = os.path.join(self.directory, self.FILENAME)
        self.saved_step = None  # the step of the state in `path` (written or restored here)

    def exists(self):
        return os.path.exists(self.path)

    def restore(self, model):
        """Loads the latest checkpoint into `model` (compiled); returns the restored step or 0."""
        if not self.exists():
            return 0
        safe_files.refuse_link(self.path)  # a run reads its own checkpoint, not a file a link points to
        model.load_weights(self.path)
        self.saved_step = model.train_steps
        return self.saved_step

    def save(self):
        model = self.model
        weights = model.weights + model.g_optimizer.variables + model.d_optimizer.variables
        if not all(np.all(np.isfinite(np.asarray(v, dtype=np.float32))) for v in weights if v.dtype != "string"):
            logger.warning("Not checkpointing step %d: some weights are not finite.", model.train_steps)
            return False
        os.makedirs(self.directory, exist_ok=True)
        self._check_space(weights, self.directory)
        # The HDF5 file is built in memory and written with plain file I/O: a disk that fills mid-write
        # then gives a clean OSError, where h5py writing to the disk itself left a broken handle
        # behind that crashed the interpreter at exit.
        data = weights_file_bytes(model)
        # A fresh temporary file renamed over the checkpoint (removed on an error, so no partial file
        # stays behind to fill the disk for the rerun); a link planted at the path is replaced.
        with safe_files.open_replacing(self.path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self.saved_step = model.train_steps
        self.last_save_time = self.clock()
        return True

    def _check_space(self, weights, directory):
        """Raises `OSError(ENOSPC)` before writing when the disk cannot hold one more checkpoint.

        The new checkpoint is written beside the last good one and then renamed over it, so the
        disk needs room for a whole second copy; h5py handles a disk that fills mid-write badly.
        """
        need = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in weights if v.dtype != "string")
        need = int(need * 1.05) + 2**20  # HDF5 headers and the names
        stale = f".{os.path.basename(self.path)}."
        for name in os.listdir(directory):  # left by a run that died mid-write
            if name.startswith(stale) and ".tmp" in name:
                os.remove(os.path.join(directory, name))
        free = shutil.disk_usage(self.directory).free
        if free < need:
            step = self.saved_step
            kept = (f"the last good checkpoint (step {step}) is kept" if step is not None
                    else f"{self.path} is kept as it was" if self.exists() else "no checkpoint was written yet")
            raise OSError(errno.ENOSPC, f"No space left on device for a checkpoint of {need / 2**20:.1f} MB in "
                                        f"{self.directory}; {kept}")

    def on_train_begin(self, logs=None):
        self.last_save_time = self.clock()

    def on_train_batch_end(self, batch, logs=None):
        if self.every_n_steps and self.model.train_steps % self.every_n_steps == 0:
            self.save()
        elif self.every_seconds and self.clock() - self.last_save_time >= self.every_seconds:
            if not self.save():  # not finite: try again after the next interval, not at every step
                self.last_save_time = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        if self.saved_step != self.model.train_steps:  # not saved at this very step already
            self.save()


def weights_file_bytes(model):
    """The bytes of `model.save_weights(...)`'s `.weights.h5` file, built in memory.

    Keras's public `save_weights` only writes to a path; its HDF5 store also takes an
    `io.BytesIO`, which is what this uses. The result loads with `model.load_weights`.
    """
    from keras.src.saving import saving_lib

    if not model.built:
        raise ValueError("Cannot checkpoint a model that is not built yet.")
    buffer = io.BytesIO()
    store = saving_lib.H5IOStore(buffer, mode="w")
    try:
        saving_lib._save_state(model, weights_store=store, assets_store=None, inner_path="",
                               visited_saveables=set())
    finally:
        store.close()
    return buffer.getvalue()
