"""Instance normalization, without tensorflow-addons."""

from keras import layers


def instance_norm(name=None, affine=False):
    """Instance normalization: `GroupNormalization(groups=-1)` (one group per channel).

    Normalizes each image and channel over its spatial positions. `groups=1`
    would be layer norm (keras-io's CycleGAN mistake). `affine=False` matches
    junyanz's default `InstanceNorm2d(affine=False)`.
    """
    return layers.GroupNormalization(groups=-1, epsilon=1e-5, center=affine, scale=affine, name=name)
