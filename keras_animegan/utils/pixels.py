"""Pixel ranges: the models' [-1, 1] floats <-> 8-bit images, written once for every caller.

Both functions take NumPy arrays or tensors (also symbolic ones inside a
`tf.function`, e.g. the SavedModel signatures) and give back the same kind:
NumPy in, NumPy out; a tensor in, a tensor out. NumPy input needs no TensorFlow.
"""

import numpy as np
from keras import ops


def _is_array(images):
    return isinstance(images, (np.ndarray, np.generic, list, tuple, int, float))


def _is_tensorflow(images):
    # A TensorFlow tensor (inside tf.data or a SavedModel signature) takes TensorFlow's ops on every backend.
    return type(images).__module__.startswith("tensorflow")


def to_uint8(images):
    """[-1, 1] floats -> uint8 [0, 255], rounded and clipped."""
    if _is_tensorflow(images):
        import tensorflow as tf

        x = tf.cast(images, tf.float32)
        return tf.cast(tf.clip_by_value(tf.round((x + 1.0) * 127.5), 0.0, 255.0), tf.uint8)
    if _is_array(images):
        x = np.asarray(images, np.float32)
        return np.clip(np.round((x + np.float32(1.0)) * np.float32(127.5)), 0.0, 255.0).astype(np.uint8)
    x = ops.cast(images, "float32")
    return ops.cast(ops.clip(ops.round((x + 1.0) * 127.5), 0.0, 255.0), "uint8")


def to_unit_range(images):
    """uint8 (or any number in [0, 255]) -> float32 in [-1, 1]."""
    if _is_tensorflow(images):
        import tensorflow as tf

        return tf.cast(images, tf.float32) / 127.5 - 1.0
    if _is_array(images):
        return np.asarray(images, np.float32) / np.float32(127.5) - np.float32(1.0)
    return ops.cast(images, "float32") / 127.5 - 1.0
