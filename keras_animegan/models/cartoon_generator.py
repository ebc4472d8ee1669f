"""The CartoonGAN generator (Chen et al., 2018, Fig. 2): flat convs, two down-convs, residual blocks, two up-convs."""

import keras
from keras import layers

from keras_animegan.layers import NarrowConv2D
from keras_animegan.layers import gan_normal
from keras_animegan.layers import output_dtype
from keras_animegan.models.cartoon_norm import cartoon_norm


def cartoon_generator(image_size=256, base_filters=64, num_blocks=8, norm="instance", name="generator"):
    """The CartoonGAN generator (Chen et al., 2018, Fig. 2), as a functional `keras.Model`.

    Flat 7x7 conv (base_filters) -> two down-conv blocks [3x3 stride-2 conv, 3x3 conv, norm, ReLU]
    (x2, x4 channels) -> `num_blocks` residual blocks -> two up-conv blocks [3x3 stride-2 transposed
    conv, 3x3 conv, norm, ReLU] -> 7x7 conv to RGB -> tanh.

    Args:
        image_size: input size (a multiple of 4), or None for any.
        base_filters: channels of the flat conv (paper: 64).
        num_blocks: residual blocks (paper: 8).
        norm: `"instance"` (default, batch-size independent) or `"batch"` (the paper's).
        name: model name.
    """
    if image_size is not None and image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4; got {image_size}.")
    init = gan_normal()
    photos = keras.Input((image_size, image_size, 3), name="photos")
    x = layers.Conv2D(base_filters, 7, padding="same", kernel_initializer=init, name="flat_conv")(photos)
    x = cartoon_norm(norm, "flat_norm")(x)
    x = layers.ReLU()(x)
    filters = base_filters
    for i in range(2):
        filters *= 2
        x = layers.Conv2D(filters, 3, strides=2, padding="same", kernel_initializer=init, name=f"down{i}_conv1")(x)
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"down{i}_conv2")(x)
        x = cartoon_norm(norm, f"down{i}_norm")(x)
        x = layers.ReLU()(x)
    for i in range(num_blocks):
        y = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"block{i}_conv1")(x)
        y = cartoon_norm(norm, f"block{i}_norm1")(y)
        y = layers.ReLU()(y)
        y = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"block{i}_conv2")(y)
        y = cartoon_norm(norm, f"block{i}_norm2")(y)
        x = layers.Add(name=f"block{i}_add")([x, y])
    for i in range(2):
        filters //= 2
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", kernel_initializer=init, name=f"up{i}_conv1")(x)
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"up{i}_conv2")(x)
        x = cartoon_norm(norm, f"up{i}_norm")(x)
        x = layers.ReLU()(x)
    x = NarrowConv2D(3, 7, padding="same", kernel_initializer=init, name="to_rgb")(x)
    return keras.Model(photos, layers.Activation("tanh", dtype=output_dtype(), name="tanh")(x), name=name)
