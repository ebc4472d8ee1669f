"""The DCGAN generator (Radford et al., 2016): noise -> image by strided transposed convolutions."""

import math

import keras
from keras import layers

from keras_animegan.layers import gan_normal
from keras_animegan.layers import output_dtype
from keras_animegan.layers import SyncBatchNormalization


def num_upsamplings(image_size):
    if image_size not in (32, 64, 128, 256):
        raise ValueError(f"image_size must be one of 32, 64, 128, 256; got {image_size!r}.")
    # 4x4 start, then (n) stride-2 transposed convs, then the final stride-2 one.
    return int(math.log2(image_size // 4)) - 1


def dcgan_generator(latent_dim=100, image_size=64, base_filters=64, n_extra_layers=1, name="generator"):
    """The report's DCGAN generator (Figure 2), as a functional `keras.Model`.

    z (latent_dim) -> (4, 4, base_filters * 2**n) -> n stride-2 transposed
    convs halving the channels to (image_size/2, image_size/2, base_filters)
    -> `n_extra_layers` size-preserving 3x3 convs -> a final stride-2
    transposed conv to (image_size, image_size, 3) and tanh. Every conv but
    the last is followed by batch norm and LeakyReLU(0.2). For the defaults,
    n = 3 and the path is 512x4x4 -> 256x8x8 -> 128x16x16 -> 64x32x32 ->
    extra -> 3x64x64, as in the report.

    The extra layers keep `base_filters` channels (the report's extra layer
    narrows to 3 channels before the last transposed conv; a 3-channel batch
    norm bottleneck throws away capacity, and `n_extra_layers` as in DCGAN's
    reference code keeps the width). Weights start at N(0, 0.02), as in the
    DCGAN paper.

    Args:
        latent_dim: length of the noise vector.
        image_size: output height and width: 32, 64, 128 or 256.
        base_filters: channels at the last hidden resolution (`ngf`).
        n_extra_layers: number of size-preserving conv layers.
        name: model name.
    """
    n_up = num_upsamplings(image_size)
    init = gan_normal()
    gamma_init = gan_normal(1.0)
    z = keras.Input((latent_dim,), name="noise")
    filters = base_filters * 2**n_up
    x = layers.Dense(4 * 4 * filters, use_bias=False, kernel_initializer=init, name="project")(z)
    x = layers.Reshape((4, 4, filters))(x)
    x = SyncBatchNormalization(gamma_initializer=gamma_init, name="project_bn")(x)
    x = layers.LeakyReLU(0.2)(x)
    for i in range(n_up):
        filters //= 2
        x = layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init, name=f"up{i}"
        )(x)
        x = SyncBatchNormalization(gamma_initializer=gamma_init, name=f"up{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    for i in range(n_extra_layers):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init, name=f"extra{i}")(x)
        x = SyncBatchNormalization(gamma_initializer=gamma_init, name=f"extra{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2DTranspose(3, 4, strides=2, padding="same", kernel_initializer=init, name="to_rgb")(x)
    # Outputs stay float32 under mixed precision.
    images = layers.Activation("tanh", dtype=output_dtype(), name="tanh")(x)
    return keras.Model(z, images, name=name)
