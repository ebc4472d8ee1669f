"""Reflection padding, instance normalization and the ResNet block of the translators."""

import keras
import tensorflow as tf
from keras import layers
from keras import ops


@keras.saving.register_keras_serializable(package="keras_animegan")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring the border (no edge repeated), as `nn.ReflectionPad2d`.

    Args:
        padding: int, or `(pad_h, pad_w)`: rows/columns added on each side.
        **kwargs: `keras.layers.Layer` arguments.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = (padding, padding) if isinstance(padding, int) else tuple(padding)

    def call(self, inputs):
        ph, pw = self.padding
        return ops.pad(inputs, [[0, 0], [ph, ph], [pw, pw], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        ph, pw = self.padding
        return (b, None if h is None else h + 2 * ph, None if w is None else w + 2 * pw, c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="keras_animegan")
class SyncBatchNormalization(layers.BatchNormalization):
    """`BatchNormalization` whose batch statistics span all replicas of a `tf.distribute` strategy.

    With several replicas (MirroredStrategy, MultiWorkerMirroredStrategy) the
    mean and variance are all-reduced over the global batch, so a step on N
    devices normalizes exactly as one device with the same global batch would.
    With one replica it is plain `BatchNormalization` (Keras's
    `synchronized=True` path would cost a full-size temporary and the less
    stable E[x^2] - E[x]^2 there).
    """

    def _moments(self, inputs, mask):
        if mask is None and tf.distribute.get_strategy().num_replicas_in_sync > 1:
            # Statistics in float32: Keras's moments() casts low-precision inputs up.
            return keras.ops.moments(inputs, axes=self._reduction_axes, synchronized=True)
        return super()._moments(inputs, mask)


def instance_norm(name=None, affine=False):
    """Instance normalization: `GroupNormalization(groups=-1)` (one group per channel).

    Normalizes each image and channel over its spatial positions. `groups=1`
    would be layer norm (keras-io's CycleGAN mistake). `affine=False` matches
    junyanz's default `InstanceNorm2d(affine=False)`.
    """
    return layers.GroupNormalization(groups=-1, epsilon=1e-5, center=affine, scale=affine, name=name)


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
