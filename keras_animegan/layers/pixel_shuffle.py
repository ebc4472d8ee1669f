"""`PixelShuffle`: channels to space, the sub-pixel convolution's rearrangement (Shi et al., 2016)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_animegan")
class PixelShuffle(keras.layers.Layer):
    """`(n, h, w, c * r * r)` -> `(n, h * r, w * r, c)`, in `tf.nn.depth_to_space`'s order, on every backend.

    Channel `(i * r + j) * c + k` of a pixel becomes channel `k` of sub-pixel `(i, j)`. Written with
    `keras.ops` reshapes and a transpose, so it runs at any input size on TensorFlow, JAX and PyTorch and
    exports to ONNX and LiteRT as plain ops.

    Args:
        scale: `r`, the upscaling factor.

    Reference:
        Shi et al. "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
        Convolutional Neural Network", CVPR 2016.
    """

    def __init__(self, scale=2, **kwargs):
        super().__init__(**kwargs)
        if int(scale) < 1:
            raise ValueError(f"scale must be a positive integer; got {scale!r}.")
        self.scale = int(scale)

    def call(self, inputs):
        r = self.scale
        shape = ops.shape(inputs)
        channels = inputs.shape[-1] // (r * r)
        height, width = shape[1], shape[2]
        x = ops.reshape(inputs, (-1, height, width, r, r, channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, height * r, width * r, channels))

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        if c % (self.scale**2):
            raise ValueError(f"PixelShuffle({self.scale}) needs channels divisible by {self.scale**2}; got {c}.")
        return (n, None if h is None else h * self.scale, None if w is None else w * self.scale,
                c // self.scale**2)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
