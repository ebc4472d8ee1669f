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


def huber(x, y, delta=0.1):
    """Mean Huber loss over every element: `d**2 / 2` where `|d| <= delta`, `delta * (|d| - delta / 2)` beyond.

    Quadratic for small differences and linear for large ones, as waifu2x trains its upscalers (its
    clipped, weighted Huber criterion). An upscaler trained with plain L1 from the nearest-neighbour
    start barely moves: most pixels of a flat-coloured drawing are already right, and their L1
    subgradients outvote the edges.
    """
    diff = ops.abs(loss_dtype(x) - loss_dtype(y))
    quadratic = ops.minimum(diff, delta)
    return ops.mean(0.5 * quadratic**2 + delta * (diff - quadratic))
