"""The normalization choice of the CartoonGAN networks."""

from keras_animegan.layers import SyncBatchNormalization
from keras_animegan.layers import instance_norm


def cartoon_norm(kind, name):
    if kind == "instance":
        return instance_norm(name, affine=True)
    if kind == "batch":
        return SyncBatchNormalization(name=name)
    raise ValueError(f"norm must be 'instance' or 'batch'; got {kind!r}.")
