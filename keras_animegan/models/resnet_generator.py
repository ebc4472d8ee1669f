"""The CycleGAN generator: a ResNet encoder-decoder (Johnson et al., 2016), as in junyanz/pytorch-CycleGAN-and-pix2pix."""

import keras
from keras import layers

from keras_animegan.layers import gan_normal
from keras_animegan.layers import output_dtype
from keras_animegan.layers import ReflectionPadding2D
from keras_animegan.layers import instance_norm
from keras_animegan.layers import NarrowConv2D
from keras_animegan.layers import residual_block


def resnet_generator(image_size=256, base_filters=64, num_blocks=9, name="generator"):
    """The CycleGAN ResNet generator as a functional `keras.Model`.

    7x7 conv (reflection padded) -> two stride-2 3x3 down-convs (x2, x4 channels)
    -> `num_blocks` residual blocks -> two stride-2 up-convs -> 7x7 conv -> tanh.
    Instance norm (`GroupNormalization(groups=-1)`) and ReLU after every conv
    but the last. junyanz uses 9 blocks at 256 px and 6 at 128 px.

    Args:
        image_size: input height and width (a multiple of 4), or None for any size.
        base_filters: channels of the first conv (`ngf`).
        num_blocks: residual blocks.
        name: model name.
    """
    if image_size is not None and image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4 (two stride-2 down-convs); got {image_size}.")
    init = gan_normal()
    images = keras.Input((image_size, image_size, 3), name="images")
    x = ReflectionPadding2D(3, name="stem_pad")(images)
    x = layers.Conv2D(base_filters, 7, kernel_initializer=init, name="stem_conv")(x)
    x = instance_norm("stem_in")(x)
    x = layers.ReLU()(x)
    filters = base_filters
    for i in range(2):
        filters *= 2
        x = layers.Conv2D(filters, 3, strides=2, padding="same", kernel_initializer=init, name=f"down{i}_conv")(x)
        x = instance_norm(f"down{i}_in")(x)
        x = layers.ReLU()(x)
    for i in range(num_blocks):
        x = residual_block(x, filters, init, name=f"block{i}")
    for i in range(2):
        filters //= 2
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", kernel_initializer=init, name=f"up{i}_conv")(x)
        x = instance_norm(f"up{i}_in")(x)
        x = layers.ReLU()(x)
    x = ReflectionPadding2D(3, name="head_pad")(x)
    x = NarrowConv2D(3, 7, kernel_initializer=init, name="head_conv")(x)
    outputs = layers.Activation("tanh", dtype=output_dtype(), name="tanh")(x)
    return keras.Model(images, outputs, name=name)
