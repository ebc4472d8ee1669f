"""The PatchGAN discriminator of pix2pix and CycleGAN (Isola et al., 2017): one logit per 70x70 patch."""

import keras
from keras import layers

from keras_animegan.layers import gan_normal
from keras_animegan.layers import output_dtype
from keras_animegan.layers import instance_norm


def patch_discriminator(image_size=256, base_filters=64, num_layers=3, name="discriminator"):
    """The PatchGAN discriminator: with `num_layers=3`, each output logit sees a 70x70 patch.

    4x4 conv stride 2 + LeakyReLU(0.2); `num_layers - 1` more stride-2 4x4 convs
    with instance norm (channels x2 up to x8); a stride-1 4x4 conv with instance
    norm; a stride-1 4x4 conv to one channel. Padding 1 on every 4x4 conv, as in
    junyanz's `NLayerDiscriminator`, so a 256 px input gives a 30x30 map.

    Args:
        image_size: input height and width, or None for any size.
        base_filters: channels of the first conv (`ndf`).
        num_layers: stride-2 convs (3 = the 70x70 PatchGAN).
        name: model name.
    """
    init = gan_normal()
    images = keras.Input((image_size, image_size, 3), name="images")
    x = layers.ZeroPadding2D(1)(images)
    x = layers.Conv2D(base_filters, 4, strides=2, kernel_initializer=init, name="conv0")(x)
    x = layers.LeakyReLU(0.2)(x)
    for i in range(1, num_layers + 1):
        filters = base_filters * min(2**i, 8)
        x = layers.ZeroPadding2D(1)(x)
        x = layers.Conv2D(filters, 4, strides=2 if i < num_layers else 1, kernel_initializer=init, name=f"conv{i}")(x)
        x = instance_norm(f"in{i}")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    logits = layers.Conv2D(1, 4, kernel_initializer=init, dtype=output_dtype(), name="logits")(x)
    return keras.Model(images, logits, name=name)
