"""The upscaler's generator: a compact all-convolutional network ending in a sub-pixel convolution."""

import keras
from keras import layers

from keras_animegan.layers import PixelShuffle
from keras_animegan.layers import output_dtype


def upscaler_generator(scale=4, filters=48, num_convs=10, name="generator"):
    """A fully convolutional x`scale` super-resolution network of any input size, as a `keras.Model`.

    A 3x3 conv and PReLU, `num_convs` more 3x3 convs with PReLU at the input's resolution, a 3x3 conv
    to `3 * scale**2` channels and a pixel shuffle; the input upsampled by nearest neighbour is added,
    so the convolutions learn only the residual. All the work happens at the low resolution, which
    keeps it fast on CPUs (the design of Real-ESRGAN's `SRVGGNetCompact`, after ESPCN). Inputs and
    outputs are [-1, 1] images; the output is not clipped (callers clip).

    Args:
        scale: the upscaling factor (4: 64 px in, 256 px out).
        filters: channels of the hidden convs.
        num_convs: hidden 3x3 convs (the receptive field is `2 * num_convs + 5` input pixels).
        name: model name.

    Reference:
        Wang, Xie, Dong, Shan. "Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure
        Synthetic Data", ICCVW 2021 (the compact network of its anime video models).
    """
    if int(scale) < 1 or int(filters) < 1 or int(num_convs) < 0:
        raise ValueError(f"scale and filters must be positive and num_convs >= 0; got {scale}, {filters}, "
                         f"{num_convs}.")
    # He initialization and PReLU slopes starting at 0.25 (PyTorch's default) keep the signal's scale through
    # the plain stack of convs; with Keras's defaults (Glorot, slope 0: ReLU) it halves at every layer and
    # the network stays stuck at the nearest-neighbour base. The head starts small, so training starts there.
    def conv(width, name, scale_init=2.0):
        init = keras.initializers.VarianceScaling(scale_init, "fan_in", "truncated_normal")
        return layers.Conv2D(width, 3, padding="same", kernel_initializer=init, name=name)

    def act(name):
        return layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2], name=name)

    images = keras.Input((None, None, 3), name="images")
    x = act("stem_act")(conv(filters, "stem_conv")(images))
    for i in range(num_convs):
        x = act(f"body{i}_act")(conv(filters, f"body{i}_conv")(x))
    x = conv(3 * scale * scale, "head_conv", scale_init=0.1)(x)
    x = PixelShuffle(scale, name="shuffle")(x)
    base = layers.UpSampling2D(scale, interpolation="nearest", name="base")(images)
    outputs = layers.Add(dtype=output_dtype(), name="residual")([x, base])
    return keras.Model(images, outputs, name=name)
