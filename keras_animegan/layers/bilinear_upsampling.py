"""`BilinearUpsampling2x`: 2x bilinear upsampling that traces at unknown sizes."""

import keras


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
