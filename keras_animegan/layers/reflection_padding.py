"""`ReflectionPadding2D`: mirror padding, as PyTorch's `nn.ReflectionPad2d`."""

import keras
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
