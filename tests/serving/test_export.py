"""The exported signatures: names, dtypes, shapes, values against the Keras model, any input size."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_animegan.export import export_generator
from keras_animegan.utils.pixels import to_uint8
from tests.serving.conftest import LATENT
from tests.serving.conftest import SIZE


@pytest.fixture(scope="module")
def loaded(tiny_models):
    return {name: tf.saved_model.load(tiny_models[f"{name}_export"]) for name in ("dcgan", "cyclegan")}


@pytest.mark.slow
def test_layout_and_saved_model_cli_lists_the_signatures(tiny_models):
    assert tiny_models["dcgan_export"].endswith(f"export/dcgan/1")
    shown = {}
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")  # TensorFlow's console script
    for name in ("dcgan", "cyclegan"):
        shown[name] = subprocess.run(
            [cli, "show", "--dir",
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
    # A seed draws the same avatars in the graph as `sample` (and the CLI and demo) in Python.
    np.testing.assert_allclose(first.astype(int), to_uint8(model.sample(5, seed=7)).numpy().astype(int), atol=1)


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


def encode(fmt, height=5, width=7, mode="RGB", **kwargs):
    import io

    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (height, width, len(mode)), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


FORMATS = {"png": ("PNG", {}), "gif": ("GIF", {}), "bmp": ("BMP", {}), "jpeg": ("JPEG", {}),
           "webp lossy": ("WEBP", {}), "webp lossless": ("WEBP", {"lossless": True}),
           "webp extended": ("WEBP", {"mode": "RGBA"})}


def claim_size(data, height, width):
    """The same file with a header that claims `height` x `width` (the pixel data is left as it is)."""
    import struct

    data = bytearray(data)
    if data.startswith(b"\x89PNG"):
        data[16:24] = struct.pack(">II", width, height)
    elif data.startswith(b"GIF"):
        data[6:10] = struct.pack("<HH", width, height)
    elif data.startswith(b"BM"):
        data[18:26] = struct.pack("<ii", width, height)
    elif data.startswith(b"RIFF"):
        chunk = bytes(data[12:16])
        if chunk == b"VP8X":
            data[24:30] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        elif chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
            data[21:25] = (bits | (width - 1) | ((height - 1) << 14)).to_bytes(4, "little")
        else:
            data[26:30] = struct.pack("<HH", width, height)
    else:  # JPEG: the SOF0 marker's height and width
        at = bytes(data).index(b"\xff\xc0")
        data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_encoded_image_size_reads_headers_as_the_python_reader_does(kind):
    """The header reader in TensorFlow ops (SavedModel signatures) and the one in Python (everything else)
    give the same sizes, also for a file whose header claims a huge size."""
    from keras_animegan.utils.image_size import encoded_image_size_tf
    from keras_animegan.utils.image_size import read_image_size

    fmt, kwargs = FORMATS[kind]
    kwargs = dict(kwargs)
    data = encode(fmt, mode=kwargs.pop("mode", "RGB"), **kwargs)
    for encoded, size in ((data, [5, 7]), (claim_size(data, 9000, 11000), [9000, 11000])):
        assert encoded_image_size_tf(tf.constant(encoded)).numpy().tolist() == size
        python = read_image_size(encoded)
        assert [python.height, python.width] == size
    assert encoded_image_size_tf(tf.constant(b"not an image")).numpy().tolist() == [-1, -1]


def test_oversized_images_are_refused_from_the_header_before_decoding(loaded):
    """A small file claiming 16,000 x 16,000 pixels (WebP's 14-bit limit) is refused before `decode_image`
    allocates 768 MB for it."""
    translate = loaded["cyclegan"].signatures["translate_bytes"]
    for kind, (fmt, kwargs) in sorted(FORMATS.items()):
        kwargs = dict(kwargs)
        bomb = claim_size(encode(fmt, mode=kwargs.pop("mode", "RGB"), **kwargs), 16000, 16000)
        with pytest.raises(tf.errors.InvalidArgumentError, match="read from its header"):
            translate(image_bytes=tf.constant([bomb]))
    # A small image of each format still translates.
    out = translate(image_bytes=tf.constant([encode("PNG", 12, 10), encode("JPEG", 12, 10)]))["image_bytes"]
    assert [tuple(tf.io.decode_png(p).shape) for p in out.numpy()] == [(12, 10, 3), (12, 10, 3)]


def test_export_swaps_versions_atomically(tiny_models, tmp_path):
    """Re-exporting a version replaces it in one step: a watcher never sees it missing or half-written."""
    import os
    import threading

    from keras_animegan.export import swap_in
    from keras_animegan.utils.versions import saved_model_versions

    model = tiny_models["dcgan"]
    path = export_generator(model, tmp_path, "dcgan")
    seen, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            versions = saved_model_versions(str(tmp_path / "dcgan"))
            seen.append(sorted(versions) == [1] and os.path.exists(os.path.join(path, "variables")))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(2):
            assert export_generator(model, tmp_path, "dcgan") == path
    finally:
        stop.set()
        watcher.join()
    assert len(seen) > 10 and all(seen), f"{seen.count(False)} of {len(seen)} looks saw no complete version 1"
    assert sorted(os.listdir(tmp_path / "dcgan")) == ["1"]  # no temporary folder left behind
    # swap_in itself: the old folder ends up where the new one was.
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "mark").write_text("old")
    (new / "mark").write_text("new")
    swap_in(str(new), str(old))
    assert (old / "mark").read_text() == "new" and (new / "mark").read_text() == "old"


def test_gif_frames_larger_than_the_screen_are_refused_before_decoding(loaded):
    """Before: the check read the GIF's logical screen (64 x 64), and TensorFlow decoded a 16384 x 16384 first
    frame (5.9 GB). Every frame's image descriptor is read now, also a later frame's."""
    import io
    import time

    from PIL import Image

    from tests.bombs import gif_frame_bomb

    translate = loaded["cyclegan"].signatures["translate_bytes"]
    for frame in (0, 1):
        start = time.perf_counter()
        with pytest.raises(tf.errors.InvalidArgumentError, match="GIF frame larger than"):
            translate(image_bytes=tf.constant([gif_frame_bomb(16384, frame=frame)]))
        assert time.perf_counter() - start < 2
    # A real animated GIF still translates (its first frame).
    frames = [Image.new("RGB", (12, 10), (60 * i, 90, 30)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    out = translate(image_bytes=tf.constant([buffer.getvalue()]))["image_bytes"]
    assert tuple(tf.io.decode_png(out[0]).shape) == (10, 12, 3)


def test_exported_folders_are_readable_by_other_users(tiny_models, tmp_path):
    """Before: version folders were mode 0700 (mkdtemp's), so TF Serving running as another user could not
    read them."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = export_generator(tiny_models["dcgan"], tmp_path, "dcgan")
    finally:
        os.umask(old)
    for root, dirs, files in os.walk(tmp_path):
        for name in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o755, os.path.join(root, name)
        for name in files:
            assert os.stat(os.path.join(root, name)).st_mode & stat.S_IROTH, os.path.join(root, name)
    assert os.path.exists(os.path.join(path, "saved_model.pb"))
