"""The dtype losses are computed in."""

from keras import ops

_LOW_PRECISION = ("float16", "bfloat16")


def loss_dtype(x):
    """`x` cast up to float32 when it is float16/bfloat16 (mixed precision); float32 and float64 stay as they are."""
    return ops.cast(x, "float32") if ops.dtype(x) in _LOW_PRECISION else x
