"""Reconstruction losses."""

from keras import ops

from keras_animegan.losses.dtypes import loss_dtype


def weighted_l1(x, y, weight=None):
    """Mean absolute difference over every element; `weight` (broadcast to x, e.g. (b, h, w, 1)) weights pixels.

    With `weight=None` or a weight of ones this is the plain L1 mean.
    """
    diff = ops.abs(loss_dtype(x) - loss_dtype(y))
    if weight is not None:
        diff = diff * ops.cast(weight, diff.dtype)
    return ops.mean(diff)
