"""`SyncBatchNormalization`: batch norm over the global batch of a `tf.distribute` strategy."""

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="keras_animegan")
class SyncBatchNormalization(layers.BatchNormalization):
    """`BatchNormalization` whose batch statistics span all replicas of a `tf.distribute` strategy.

    With several replicas (MirroredStrategy, MultiWorkerMirroredStrategy) the
    mean and variance are all-reduced over the global batch, so a step on N
    devices normalizes exactly as one device with the same global batch would.
    With one replica it computes what `BatchNormalization` does, with TF's
    fused kernel where it applies (Keras's `synchronized=True` path would cost
    a full-size temporary and the less stable E[x^2] - E[x]^2 there).

    The DCGAN networks use it in place of `BatchNormalization` (the report's
    networks have batch norm after every hidden conv), so `--strategy mirrored`
    trains the same model as one device does.

    Across replicas it is Keras's own `BatchNormalization(synchronized=True)`
    (set on the TensorFlow backend, where Keras supports it; JAX and PyTorch run
    one program, whose batch is already the global one).

    Args:
        **kwargs: the arguments of `keras.layers.BatchNormalization` (`momentum`,
            `epsilon`, `center`, `scale`, ...); `synchronized` is set by the backend.

    Example:
        ```python
        strategy = tf.distribute.MirroredStrategy()
        with strategy.scope():
            x = keras.Input((32, 32, 16))
            y = SyncBatchNormalization(momentum=0.9)(x)  # statistics over every replica's batch
        ```
    """

    def __init__(self, **kwargs):
        # Keras accepts synchronized=True on TensorFlow only: decided here, not stored, so a `.keras` file
        # saved on one backend loads on another.
        kwargs["synchronized"] = keras.backend.backend() == "tensorflow"
        super().__init__(**kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("synchronized", None)
        return config

    def call(self, inputs, training=None, mask=None):
        # One replica, float32/float16/bfloat16, NHWC, no mask/renorm: TF's fused kernel
        # (FusedBatchNormV3 and its fused gradient; statistics in float32, a bf16/fp16 tensor stays
        # in its dtype). Keras 3's BatchNormalization normalizes in several passes (and casts a
        # bf16/fp16 input to float32) instead. Measured (2 CPU cores, DCGAN training, steps inside
        # one fit): bf16 75 -> 93 img/s, float32 52.4 -> 58.9 img/s. float64 keeps Keras's path
        # (the fused kernel has no float64). On JAX and PyTorch: Keras's path, one program.
        if keras.backend.backend() != "tensorflow":
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

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
