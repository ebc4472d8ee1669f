"""The ResNet block of the translators' generators."""

from keras import layers

from keras_animegan.layers.instance_norm import instance_norm
from keras_animegan.layers.reflection_padding import ReflectionPadding2D


def residual_block(x, filters, kernel_initializer, name):
    """ResNet block of the CycleGAN generator: [reflect-pad, 3x3 conv, IN, ReLU] x2 (no ReLU after the last IN) + skip."""
    y = ReflectionPadding2D(1, name=f"{name}_pad1")(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=kernel_initializer, name=f"{name}_conv1")(y)
    y = instance_norm(f"{name}_in1")(y)
    y = layers.ReLU(name=f"{name}_relu")(y)
    y = ReflectionPadding2D(1, name=f"{name}_pad2")(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=kernel_initializer, name=f"{name}_conv2")(y)
    y = instance_norm(f"{name}_in2")(y)
    return layers.Add(name=f"{name}_add")([x, y])
