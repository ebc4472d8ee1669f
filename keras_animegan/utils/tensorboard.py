"""TensorBoard event files, written with TensorFlow's summary writer where TensorFlow is installed.

Without TensorFlow (Keras on JAX or PyTorch alone) `open_writer` returns None after one warning: the
loss log (`losses.csv`), the sample grids and the KID log are written all the same.
"""

import logging

logger = logging.getLogger("keras_animegan")
_warned = []


class Writer:
    """A TensorBoard writer for one log directory (scalars and images at a step)."""

    def __init__(self, tf, log_dir):
        self._tf = tf
        self._writer = tf.summary.create_file_writer(log_dir)

    def scalars(self, step, values):
        with self._writer.as_default(step=step):
            for name, value in values.items():
                self._tf.summary.scalar(name, value)

    def image(self, step, tag, image):
        with self._writer.as_default(step=step):
            self._tf.summary.image(tag, image[None], max_outputs=1)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def open_writer(log_dir):
    """A `Writer` for `log_dir`, or None when `log_dir` is empty or TensorFlow is not installed."""
    if not log_dir:
        return None
    try:
        import tensorflow as tf
    except ImportError:
        if not _warned:
            _warned.append(True)
            logger.warning("No TensorBoard logs in %s: they are written with TensorFlow, which is not installed "
                           "(pip install tensorflow). losses.csv and the sample grids are written as usual.", log_dir)
        return None
    return Writer(tf, log_dir)
