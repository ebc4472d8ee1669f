"""Pixel ranges: the models' [-1, 1] floats <-> 8-bit images, written once for every caller.

Both functions take NumPy arrays or tensors (also symbolic ones inside a
`tf.function`, e.g. the SavedModel signatures) and give back the same kind:
NumPy in, NumPy out; a tensor in, a tensor out.
"""

import tensorflow as tf


def _same_kind(result, like):
    return result if tf.is_tensor(like) else result.numpy()


def to_uint8(images):
    """[-1, 1] floats -> uint8 [0, 255], rounded and clipped."""
    x = tf.cast(images, tf.float32)
    return _same_kind(tf.cast(tf.clip_by_value(tf.round((x + 1.0) * 127.5), 0.0, 255.0), tf.uint8), images)


def to_unit_range(images):
    """uint8 (or any number in [0, 255]) -> float32 in [-1, 1]."""
    return _same_kind(tf.cast(images, tf.float32) / 127.5 - 1.0, images)


