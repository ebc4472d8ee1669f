"""The exported signatures: names, dtypes, shapes, values against the Keras model, any input size."""

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_animegan.export import export_generator
from keras_animegan.export import to_uint8
from tests.serving.conftest import LATENT
from tests.serving.conftest import SIZE


@pytest.fixture(scope="module")
def loaded(tiny_models):
    return {name: tf.saved_model.load(tiny_models[f"{name}_export"]) for name in ("dcgan", "cyclegan")}


def test_layout_and_saved_model_cli_lists_the_signatures(tiny_models):
    assert tiny_models["dcgan_export"].endswith(f"export/dcgan/1")
    shown = {}
    for name in ("dcgan", "cyclegan"):
        shown[name] = subprocess.run(
            [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show", "--dir",
             tiny_models[f"{name}_export"], "--all"],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout
    for signature in ("serving_default", "generate_images", "generate_image_bytes", "serve"):
        assert f"signature_def['{signature}']" in shown["dcgan"]
    for signature in ("serving_default", "translate_bytes", "serve"):
        assert f"signature_def['{signature}']" in shown["cyclegan"]
    assert "DT_UINT8" in shown["cyclegan"] and "DT_STRING" in shown["cyclegan"]


def test_dcgan_signatures(tiny_models, loaded):
    model, served = tiny_models["dcgan"], loaded["dcgan"].signatures
    noise = np.random.default_rng(3).standard_normal((3, LATENT)).astype(np.float32)
    images = served["serving_default"](noise=tf.constant(noise))["images"]
    assert images.dtype == tf.uint8 and images.shape == (3, SIZE, SIZE, 3)
    np.testing.assert_allclose(images.numpy().astype(int), to_uint8(model(noise)).numpy().astype(int), atol=1)
    first = served["generate_images"](count=tf.constant(5), seed=tf.constant(7))["images"].numpy()
    again = served["generate_images"](count=tf.constant(5), seed=tf.constant(7))["images"].numpy()
    other = served["generate_images"](count=tf.constant(5), seed=tf.constant(8))["images"].numpy()
    assert first.shape == (5, SIZE, SIZE, 3) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    pngs = served["generate_image_bytes"](count=tf.constant(5), seed=tf.constant(7))["image_bytes"].numpy()
    np.testing.assert_array_equal(np.stack([tf.io.decode_png(p).numpy() for p in pngs]), first)


def test_translator_signatures_any_size(tiny_models, loaded):
    model, served = tiny_models["cyclegan"], loaded["cyclegan"]
    rng = np.random.default_rng(4)
    # At the network's size the float signature is the Keras model exactly.
    x = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    np.testing.assert_allclose(served.serve(x)["images"], model.translate(x, "ab"), atol=1e-5)
    # Other sizes come back at their own size, through the network at SIZE.
    for shape in ((1, 48, 80, 3), (2, 20, 20, 3)):
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        out = served.signatures["serving_default"](images=tf.constant(pixels))["images"].numpy()
        assert out.shape == shape and out.dtype == np.uint8
        resized = tf.image.resize(pixels.astype(np.float32) / 127.5 - 1, (SIZE, SIZE), antialias=True)
        expected = tf.image.resize(model.translate(resized, "ab"), shape[1:3], antialias=True)
        np.testing.assert_allclose(out.astype(int), to_uint8(expected).numpy().astype(int), atol=2)
    # Encoded images of different sizes and formats in one request.
    a = rng.integers(0, 256, (40, 24, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    encoded = tf.constant([tf.io.encode_png(a).numpy(), tf.io.encode_jpeg(b).numpy()])
    outputs = served.signatures["translate_bytes"](image_bytes=encoded)["image_bytes"].numpy()
    assert [tf.io.decode_png(o).shape for o in outputs] == [(40, 24, 3), (SIZE, SIZE, 3)]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        served.signatures["translate_bytes"](image_bytes=tf.constant([b"not an image"]))


def test_export_rejects_version_zero(tiny_models, tmp_path):
    with pytest.raises(ValueError, match="version"):
        export_generator(tiny_models["dcgan"], tmp_path, "dcgan", version=0)
