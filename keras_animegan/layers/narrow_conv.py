"""`NarrowConv2D`: a `Conv2D` to few channels (a generator's RGB head) with gradients that are fast on CPUs."""

import keras
from keras import layers
from keras import ops

from keras_animegan import backend as gan_backend


@keras.saving.register_keras_serializable(package="keras_animegan")
class NarrowConv2D(layers.Conv2D):
    """`keras.layers.Conv2D` for a conv to few output channels, such as the 7x7 conv to RGB of a generator.

    Same weights, config and outputs as `Conv2D`. In training, a stride-1 conv goes through
    `keras_animegan.backend.narrow_conv`, which on TensorFlow takes the gradients as two
    matrix products: TensorFlow's CPU kernels differentiate a 7x7 conv from 64 channels to 3
    5-10x slower than PyTorch (the benchmarks page), and in CycleGAN's step it is called on
    every generator pass. Inference and exports run the plain conv. The backward pass holds
    `k * k * filters` values per input pixel (147 for a 7x7 conv to RGB), so the layer suits
    few output channels only.
    """

    def call(self, inputs, training=None):
        if not (training and self._matrix_gradients()):
            return super().call(inputs)
        if self.padding == "same":
            half = self.kernel_size[0] // 2
            inputs = ops.pad(inputs, [[0, 0], [half, half], [half, half], [0, 0]])
        outputs = gan_backend.narrow_conv(inputs, self.kernel)
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        return outputs if self.activation is None else self.activation(outputs)

    def _matrix_gradients(self):
        odd_square = self.kernel_size[0] == self.kernel_size[1] and self.kernel_size[0] % 2 == 1
        return (self.strides == (1, 1) and self.dilation_rate == (1, 1) and self.groups == 1
                and self.data_format == "channels_last" and (self.padding == "valid" or odd_square))
