"""The CartoonGAN discriminator (Chen et al., 2018, Fig. 2): a shallow patch discriminator."""

import keras
from keras import layers

from keras_animegan.layers import gan_normal
from keras_animegan.layers import output_dtype
from keras_animegan.models.cartoon_norm import cartoon_norm


def cartoon_discriminator(image_size=256, base_filters=32, norm="instance", name="discriminator"):
    """The CartoonGAN patch discriminator.

    Flat 3x3 conv (base_filters) + LeakyReLU(0.2) -> two blocks [3x3 stride-2 conv (x2), LeakyReLU,
    3x3 conv (x4, then x8), norm, LeakyReLU] -> 3x3 conv (x8), norm, LeakyReLU -> 3x3 conv to a
    one-channel map of logits at 1/4 of the input size.

    Args:
        image_size: input size, or None for any.
        base_filters: channels of the flat conv (paper: 32).
        norm: `"instance"` or `"batch"`.
        name: model name.
    """
    init = gan_normal()
    images = keras.Input((image_size, image_size, 3), name="images")
    x = layers.Conv2D(base_filters, 3, padding="same", kernel_initializer=init, name="flat_conv")(images)
    x = layers.LeakyReLU(0.2)(x)
    filters = base_filters
    for i in range(2):
        x = layers.Conv2D(filters * 2, 3, strides=2, padding="same", kernel_initializer=init, name=f"block{i}_conv1")(x)
        x = layers.LeakyReLU(0.2)(x)
        filters *= 4 if i == 0 else 2
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"block{i}_conv2")(x)
        x = cartoon_norm(norm, f"block{i}_norm")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name="feature_conv")(x)
    x = cartoon_norm(norm, "feature_norm")(x)
    x = layers.LeakyReLU(0.2)(x)
    logits = layers.Conv2D(1, 3, padding="same", kernel_initializer=init, dtype=output_dtype(), name="logits")(x)
    return keras.Model(images, logits, name=name)
