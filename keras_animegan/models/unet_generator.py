"""A small U-Net cartoon generator after White-box Cartoonization (Wang & Yu, CVPR 2020): fast on a CPU at any size."""

import keras
from keras import layers

from keras_animegan.layers import BilinearUpsampling2x
from keras_animegan.layers import NarrowConv2D
from keras_animegan.layers import gan_normal
from keras_animegan.layers import output_dtype


def unet_generator(image_size=None, base_filters=32, num_blocks=4, name="generator"):
    """White-box Cartoonization's generator, as a functional `keras.Model` that takes any size (multiple of 4).

    7x7 conv (base_filters) -> two stride-2 stages [3x3 stride-2 conv, 3x3 conv (x2 channels)] ->
    `num_blocks` residual blocks at 1/4 size -> two stages [bilinear 2x upsampling, 3x3 conv, plus the
    encoder's features of that size (skip), 3x3 conv] -> 7x7 conv to RGB. LeakyReLU(0.2) after every
    hidden conv; no normalization, so a pixel's output does not depend on the image size or the
    batch. The output goes through tanh to [-1, 1].

    Args:
        image_size: input size (a multiple of 4), or None for any size (the usual: fully convolutional).
        base_filters: channels at full resolution (paper: 32); x2 and x4 deeper.
        num_blocks: residual blocks at 1/4 resolution (paper: 4).
        name: model name.
    """
    if image_size is not None and image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4; got {image_size}.")
    init = gan_normal()

    def conv(x, filters, kernel, label, strides=1):
        x = layers.Conv2D(filters, kernel, strides=strides, padding="same", kernel_initializer=init, name=label)(x)
        return layers.LeakyReLU(0.2, name=f"{label}_act")(x)

    photos = keras.Input((image_size, image_size, 3), name="photos")
    f0 = conv(photos, base_filters, 7, "flat_conv")
    x = conv(f0, base_filters, 3, "down0_conv1", strides=2)
    f1 = conv(x, base_filters * 2, 3, "down0_conv2")
    x = conv(f1, base_filters * 2, 3, "down1_conv1", strides=2)
    x = conv(x, base_filters * 4, 3, "down1_conv2")
    for i in range(num_blocks):
        y = conv(x, base_filters * 4, 3, f"block{i}_conv1")
        y = layers.Conv2D(base_filters * 4, 3, padding="same", kernel_initializer=init, name=f"block{i}_conv2")(y)
        x = layers.Add(name=f"block{i}_add")([x, y])
    x = conv(x, base_filters * 2, 3, "up0_conv1")
    x = BilinearUpsampling2x(name="up0_resize")(x)
    x = layers.Add(name="up0_skip")([x, f1])
    x = conv(x, base_filters * 2, 3, "up0_conv2")
    x = conv(x, base_filters, 3, "up1_conv1")
    x = BilinearUpsampling2x(name="up1_resize")(x)
    x = layers.Add(name="up1_skip")([x, f0])
    x = conv(x, base_filters, 3, "up1_conv2")
    x = NarrowConv2D(3, 7, padding="same", kernel_initializer=init, name="to_rgb")(x)
    return keras.Model(photos, layers.Activation("tanh", dtype=output_dtype(), name="tanh")(x), name=name)
