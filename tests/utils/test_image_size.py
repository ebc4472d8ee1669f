"""`check_image_size`: real frame sizes from the headers of every format, and bombs refused before decoding."""

import io
import time

import numpy as np
import pytest
from PIL import Image

from keras_animegan.utils.decoding import decode_image
from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.image_size import ImageTooLargeError
from keras_animegan.utils.image_size import check_image_size
from keras_animegan.utils.image_size import read_image_size
from tests.bombs import all_bombs

STILL = {"PNG": {}, "JPEG": {}, "GIF": {}, "WEBP": {}, "WEBP lossless": {"lossless": True}, "BMP": {},
         "TIFF": {}, "TIFF deflate": {"compression": "tiff_adobe_deflate"}}
ANIMATED = {"PNG": {}, "GIF": {}, "WEBP": {}, "TIFF": {}}


def encode(frames, fmt, **kwargs):
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=len(frames) > 1, append_images=frames[1:], **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", sorted(STILL))
def test_still_images_report_pillows_size(kind):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8))
    data = encode([image], kind.split()[0], **STILL[kind])
    size = read_image_size(data)
    assert (size.format, size.width, size.height) == (kind.split()[0], 53, 37)
    assert size.pixels == 53 * 37 == Image.open(io.BytesIO(data)).size[0] * 37


@pytest.mark.parametrize("fmt", sorted(ANIMATED))
def test_every_frame_of_an_animation_is_read(fmt):
    frames = [Image.new("RGB", (21, 13), (30 * i, 0, 0)) for i in range(4)]
    size = read_image_size(encode(frames, fmt, **({"duration": 50} if fmt != "TIFF" else {})))
    assert (size.width, size.height) == (21, 13)
    assert len([f for f in size.frames if f == (21, 13)]) >= 4  # APNG also lists its IHDR image
    assert size.pixels == 21 * 13


@pytest.mark.parametrize("name", sorted(all_bombs()))
def test_bombs_are_refused_from_their_headers(name):
    """Before: a GIF whose frame is larger than its logical screen (and APNG/WebP/TIFF frames, which
    nothing read) passed the size check, and the decoder allocated gigabytes."""
    data = all_bombs()[name]
    assert len(data) < 2000
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError, match=rf"{name} is .*x.* pixels .*over the limit of 16,777,216"):
        check_image_size(data, DEFAULT_MAX_PIXELS, name=name)
    with pytest.raises(ImageTooLargeError, match=name):
        decode_image(data, name=name)
    assert time.perf_counter() - start < 0.1


def test_many_frames_together_are_refused():
    frames = [Image.new("RGB", (64, 64), (i, 0, 0)) for i in range(20)]
    data = encode(frames, "GIF", duration=50)
    # All frames together may hold 4x the budget: 20 frames of 64x64 fit a budget of 5 frames...
    assert check_image_size(data, max_pixels=5 * 64 * 64).pixels == 64 * 64
    with pytest.raises(ImageTooLargeError, match="20 frames"):  # ... not one of 4, though each frame fits it
        check_image_size(data, max_pixels=4 * 64 * 64)


@pytest.mark.parametrize("data, message", [
    (b"", "not a PNG"), (b"P6\n4 4\n255\n" + bytes(48), "not a PNG"), (b"\x89PNG\r\n\x1a\n\0\0", "truncated"),
    (b"\xff\xd8\xff\xd9", "without a frame header"), (b"GIF89a\x01", "truncated")])
def test_unknown_or_broken_headers_are_value_errors(data, message):
    with pytest.raises(ValueError, match=message):
        read_image_size(data)
    with pytest.raises(ValueError):
        decode_image(data)


def test_decoding_still_works_under_the_budget():
    image = np.random.default_rng(1).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    data = encode([Image.fromarray(image)], "PNG")
    np.testing.assert_array_equal(decode_image(data), image)
    with pytest.raises(ImageTooLargeError, match="40x30"):
        decode_image(data, max_pixels=1000)
    assert decode_image(data, max_pixels=None).shape == (30, 40, 3)
