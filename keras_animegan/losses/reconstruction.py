"""Reconstruction losses."""

from keras import ops


def weighted_l1(x, y, weight=None):
    """Mean absolute difference over every element; `weight` (broadcast to x, e.g. (b, h, w, 1)) weights pixels.

    With `weight=None` or a weight of ones this is the plain L1 mean.
    """
    diff = ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32"))
    if weight is not None:
        diff = diff * ops.cast(weight, "float32")
    return ops.mean(diff)
