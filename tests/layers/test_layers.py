"""Reflection padding and instance norm."""

import keras
import numpy as np

from keras_animegan.layers import ReflectionPadding2D
from keras_animegan.layers import instance_norm


def test_reflection_padding_matches_numpy_reflect():
    x = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
    layer = ReflectionPadding2D((2, 1))
    expected = np.pad(x, [(0, 0), (2, 2), (1, 1), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(layer(x), expected)
    assert layer.compute_output_shape((None, 4, 5, 3)) == (None, 8, 7, 3)
    clone = ReflectionPadding2D.from_config(layer.get_config())
    assert clone.padding == (2, 1)


def test_instance_norm_normalizes_each_image_and_channel():
    rng = np.random.default_rng(0)
    # Every (image, channel) has its own offset and scale.
    offsets = rng.uniform(-5, 5, size=(3, 1, 1, 4))
    scales = rng.uniform(0.1, 10, size=(3, 1, 1, 4))
    x = (rng.normal(size=(3, 8, 8, 4)) * scales + offsets).astype(np.float32)
    y = np.asarray(instance_norm()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-3)
    # Layer norm (groups=1, keras-io's mistake) does not: channels keep their offsets.
    layer_norm = keras.layers.GroupNormalization(groups=1, center=False, scale=False)
    assert np.abs(np.asarray(layer_norm(x)).mean(axis=(1, 2))).max() > 0.1
    # Each image is normalized on its own: changing one image leaves the others' outputs alone.
    x2 = x.copy()
    x2[0] *= 100.0
    np.testing.assert_allclose(np.asarray(instance_norm()(x2))[1:], y[1:], atol=1e-5)
