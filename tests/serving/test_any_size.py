"""Translating an image of any size: one policy (`any_size.plan`), and its adapters agree on the same inputs."""

import numpy as np
import pytest
import tensorflow as tf

from keras_animegan.export import any_size
from keras_animegan.export.litert import LiteRTGenerator
from keras_animegan.export.litert import export_litert
from keras_animegan.models import resnet_generator
from keras_animegan.models import unet_generator

SIZES = ((32, 32), (30, 45), (70, 50))


def smooth_images(height, width, seed=0):
    """Smooth colour ramps in [-1, 1] (resizing methods agree on them; noise would measure only the methods)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    channels = [np.sin(3 * x * rng.uniform(0.5, 2) + 2 * y * rng.uniform(0.5, 2) + rng.uniform(0, 3)) for _ in range(3)]
    return (0.9 * np.stack(channels, -1))[None].astype(np.float32)


@pytest.fixture(scope="module")
def networks():
    return {"fixed": resnet_generator(image_size=32, base_filters=4, num_blocks=1),
            "convolutional": unet_generator(None, base_filters=4, num_blocks=1)}


def test_the_plan():
    assert any_size.plan(30, 45, (32, 32)) == ((32, 32), (0, 0))  # a fixed size: resized, never padded
    assert any_size.plan(30, 45) == ((30, 45), (2, 3))  # fully convolutional: padded to a multiple of 4
    height, width = 3000, 2000  # over the budget: scaled down to a multiple of 4 under it, no padding
    (h, w), padding = any_size.plan(height, width)
    assert h * w <= any_size.MAX_WORK_PIXELS and h % 4 == w % 4 == 0 and padding == (0, 0)
    assert abs(h / w - height / width) < 0.01


@pytest.mark.parametrize("kind", ["fixed", "convolutional"])
@pytest.mark.parametrize("height,width", SIZES)
def test_the_tensorflow_and_keras_adapters_agree(networks, kind, height, width):
    images = smooth_images(height, width)
    graph = tf.function(lambda x: any_size.translate_tf(networks[kind], x))  # as inside a SavedModel signature
    tf_out = np.asarray(graph(tf.constant(images)))
    keras_out = any_size.translate_keras(networks[kind], images)
    assert tf_out.shape == keras_out.shape == images.shape
    np.testing.assert_allclose(tf_out, keras_out, atol=1e-4)


def test_the_adapters_agree_on_a_photo_over_the_pixel_budget(networks, monkeypatch):
    monkeypatch.setattr(any_size, "MAX_WORK_PIXELS", 40 * 40)
    images = smooth_images(90, 120)
    np.testing.assert_allclose(np.asarray(any_size.translate_tf(networks["convolutional"], images)),
                               any_size.translate_keras(networks["convolutional"], images), atol=1e-4)


def test_the_fixed_size_runtime_adapter_agrees_with_the_keras_one(networks, tmp_path):
    """A LiteRT file holds one size: `translate_fixed` resizes there and back (OpenCV's methods), as close to the
    Keras adapter as two resizing methods get on smooth images; at the file's own size the two are the same."""
    runner = LiteRTGenerator(export_litert(networks["fixed"], str(tmp_path / "fixed.tflite")))
    own = smooth_images(32, 32)
    np.testing.assert_allclose(runner.translate_any_size(own), any_size.translate_keras(networks["fixed"], own),
                               atol=1e-4)
    for height, width in SIZES[1:]:
        images = smooth_images(height, width)
        lite, keras_out = runner.translate_any_size(images), any_size.translate_keras(networks["fixed"], images)
        assert lite.shape == keras_out.shape == images.shape
        assert np.abs(lite - keras_out).mean() < 0.05, (height, width)  # 2.5% of the range: two resizers
