"""Reflection padding, instance normalization and the ResNet block of the translators."""

import keras
import tensorflow as tf
from keras import layers
from keras import ops


def output_dtype():
    """The dtype for a network's last layer: float32 under a mixed precision policy, else the global policy.

    Images and logits leave the networks in float32 when the layers compute in
    float16/bfloat16; a float64 policy keeps float64 end to end.
    """
    compute = keras.config.dtype_policy().compute_dtype
    return "float32" if compute in ("float16", "bfloat16") else None


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
    With one replica it computes what `BatchNormalization` does, with TF's
    fused kernel where it applies (Keras's `synchronized=True` path would cost
    a full-size temporary and the less stable E[x^2] - E[x]^2 there).
    """

    def call(self, inputs, training=None, mask=None):
        # One replica, float32/float16/bfloat16, NHWC, no mask/renorm: TF's fused kernel
        # (FusedBatchNormV3 and its fused gradient; statistics in float32, a bf16/fp16 tensor stays
        # in its dtype). Keras 3's BatchNormalization normalizes in several passes (and casts a
        # bf16/fp16 input to float32) instead. Measured (2 CPU cores, DCGAN training, steps inside
        # one fit): bf16 75 -> 93 img/s, float32 52.4 -> 58.9 img/s. float64 keeps Keras's path
        # (the fused kernel has no float64).
        if (self.compute_dtype not in ("float32", "bfloat16", "float16") or mask is not None or self.renorm
                or len(inputs.shape) != 4 or self.axis not in (-1, 3)
                or tf.distribute.get_strategy().num_replicas_in_sync > 1):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        scale = tf.cast(self.gamma, tf.float32) if self.scale else tf.ones((channels,), tf.float32)
        offset = tf.cast(self.beta, tf.float32) if self.center else tf.zeros((channels,), tf.float32)
        x = tf.cast(inputs, self.compute_dtype)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                x, scale, offset, epsilon=self.epsilon, data_format="NHWC", is_training=True)[:3]
            # The fused kernel returns the unbiased (n - 1) batch variance; Keras 3 (and the
            # cross-replica path) average the biased one: convert, so both paths agree.
            n = tf.cast(tf.reduce_prod(tf.shape(x)[:3]), tf.float32)
            variance = variance * (n - 1.0) / tf.maximum(n, 1.0)
            momentum = self.momentum
            self.moving_mean.assign(self.moving_mean * momentum + tf.cast(mean, self.moving_mean.dtype) * (1 - momentum))
            self.moving_variance.assign(
                self.moving_variance * momentum + tf.cast(variance, self.moving_variance.dtype) * (1 - momentum))
            return outputs
        outputs = tf.compat.v1.nn.fused_batch_norm(
            x, scale, offset, mean=tf.cast(self.moving_mean, tf.float32),
            variance=tf.cast(self.moving_variance, tf.float32), epsilon=self.epsilon, data_format="NHWC",
            is_training=False)[0]
        return outputs

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


@keras.saving.register_keras_serializable(package="keras_animegan")
class BilinearUpsampling2x(keras.layers.Layer):
    """2x bilinear upsampling (half-pixel centres, edges clamped), for inputs of any, even unknown, size.

    The same values as `UpSampling2D(2, interpolation="bilinear")`, written with slices and weighted
    sums: each output pixel is 3/4 of its nearest input pixel plus 1/4 of the next one. Keras's
    `ops.image.resize` checks its target size in Python, which fails while a SavedModel signature is
    traced with unknown height and width; this layer needs no sizes.
    """

    def call(self, x):
        x = self._double(x, axis=1)
        return self._double(x, axis=2)

    @staticmethod
    def _double(x, axis):
        from keras import ops

        if axis == 1:
            previous = ops.concatenate([x[:, :1], x[:, :-1]], axis=1)
            following = ops.concatenate([x[:, 1:], x[:, -1:]], axis=1)
        else:
            previous = ops.concatenate([x[:, :, :1], x[:, :, :-1]], axis=2)
            following = ops.concatenate([x[:, :, 1:], x[:, :, -1:]], axis=2)
        even = 0.25 * previous + 0.75 * x
        odd = 0.75 * x + 0.25 * following
        shape = ops.shape(x)
        new_shape = [shape[0], shape[1], shape[2], shape[3]]
        new_shape[axis] = shape[axis] * 2
        return ops.reshape(ops.stack([even, odd], axis=axis + 1), new_shape)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else 2 * h, None if w is None else 2 * w, c)
