"""The image guard's header walk: bounded work on crafted files, and never fewer pixels than Pillow allocates."""

import io
import struct
import subprocess
import sys
import time
import warnings

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from PIL import Image

from keras_animegan.utils import image_size
from keras_animegan.utils.decoding import decode_image
from keras_animegan.utils.image_size import ImageHeaderError
from keras_animegan.utils.image_size import ImageTooLargeError
from keras_animegan.utils.image_size import check_image_size
from keras_animegan.utils.image_size import read_image_size
from tests.bombs import gif_canvas_bomb
from tests.bombs import tiff_directory_spin


def timed_refusal(data, error=ImageHeaderError):
    start = time.perf_counter()
    with pytest.raises(error) as raised:
        check_image_size(data)
    return time.perf_counter() - start, str(raised.value)


def test_a_tiff_of_a_thousand_overlapping_directories_is_refused_at_once():
    """Before: 71 s to walk 1,024 directories of 65,535 entries each (790 KB)."""
    seconds, message = timed_refusal(tiff_directory_spin())
    assert seconds < 0.5 and "directory entries" in message and "refused" in message
    # A real multi-page TIFF is still read, every page.
    pages = [Image.new("RGB", (8 + i, 8), (i, 0, 0)) for i in range(40)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    assert len(read_image_size(buffer.getvalue()).frames) == 40


@pytest.mark.parametrize("kind", ["PNG", "GIF", "JPEG", "WEBP", "JPEG fill"])
def test_files_made_of_endless_tiny_blocks_are_refused_quickly(kind):
    if kind == "PNG":  # 100,001 empty chunks after the IHDR
        data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sII5x", 13, b"IHDR", 8, 8) + b"\0" * 4
        data += struct.pack(">I4s4x", 0, b"tEXt") * (image_size.MAX_CHUNKS + 1)
    elif kind == "GIF":  # one extension of 500,001 one-byte sub-blocks
        data = b"GIF89a" + struct.pack("<HH", 8, 8) + b"\0\0\0" + b"\x21\xfe" + b"\x01a" * (
            image_size.MAX_GIF_BLOCKS + 1) + b"\0\x3b"
    elif kind == "JPEG":  # 100,001 empty comment markers before any frame header
        data = b"\xff\xd8" + b"\xff\xfe\x00\x02" * (image_size.MAX_CHUNKS + 1)
    elif kind == "WEBP":
        data = b"RIFF\0\0\0\0WEBP" + b"XXXX\0\0\0\0" * (image_size.MAX_CHUNKS + 1)
    else:  # 32 MB of fill bytes: walked with one regular expression, not a byte at a time
        start = time.perf_counter()
        with pytest.raises(ValueError, match="without a frame header"):
            check_image_size(b"\xff\xd8" + b"\xff" * 32_000_000)
        assert time.perf_counter() - start < 0.5
        return
    seconds, message = timed_refusal(data)
    assert seconds < 0.5 and "more than" in message


def test_the_gif_guard_counts_the_canvas_pillow_allocates():
    """Before: a 255 x 65,535 screen and a 2,730 x 1 frame each passed; Pillow allocated 2,730 x 65,535."""
    data = gif_canvas_bomb()
    assert len(data) < 120
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        assert Image.open(io.BytesIO(data)).size == (2730, 65535)
    size = read_image_size(data)
    assert (size.width, size.height) == (2730, 65535)
    with pytest.raises(ImageTooLargeError, match="2730x65535"):
        check_image_size(data)


def test_the_gif_canvas_bomb_is_refused_before_any_large_allocation():
    """Decoded by `decode_image` in a fresh process: refused, and the peak resident memory grows by under
    300 MB past what the process held before (Pillow's canvas would be 179 MB, and 537 MB as RGB)."""
    script = ("from keras_animegan.utils.decoding import decode_image\nfrom tests.bombs import gif_canvas_bomb\n"
              "def kb(field):\n    return int(next(l for l in open('/proc/self/status') if l.startswith(field)).split()[1])\n"
              "before = kb('VmRSS')\n"
              "try:\n    decode_image(gif_canvas_bomb())\nexcept ValueError as e:\n    print('refused:', e)\n"
              "print((kb('VmHWM') - before) // 1024)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    refused, growth_mb = out.strip().splitlines()
    assert refused.startswith("refused:") and "2730x65535" in refused
    assert int(growth_mb) < 300


def _gif(screen, frames):
    head = b"GIF89a" + struct.pack("<HH", *screen) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    body = b""
    for left, top, width, height in frames:
        body += b"\x2c" + struct.pack("<HHHH", left, top, width, height) + b"\x00" + b"\x02\x02\x4c\x01\x00"
    return head + body + b"\x3b"


def _tiff(pages):
    """A little-endian TIFF with one 8-bit grey strip per page of the given (width, height)."""
    out = bytearray(b"II*\x00\x08\x00\x00\x00")
    for i, (width, height) in enumerate(pages):
        at = len(out)
        tags = [(256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0),
                (277, 3, 1), (278, 3, height), (279, 4, width * height)]
        out += struct.pack("<H", len(tags))
        for tag, kind, value in tags:
            out += struct.pack("<HHI", tag, kind, 1) + struct.pack("<I" if kind == 4 else "<H2x", value)
        out += struct.pack("<I", 0 if i + 1 == len(pages) else at + 2 + 12 * len(tags) + 4)
    return bytes(out)


def _pillow_pixels(data):
    """The largest width x height Pillow sets up for any frame (what `load()` then allocates), or None."""
    largest = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(data)) as image:
                for frame in range(getattr(image, "n_frames", 1)):
                    image.seek(frame)
                    largest = max(largest, image.size[0] * image.size[1])
        except (OSError, ValueError, SyntaxError, EOFError, struct.error):
            return largest or None
    return largest


side = st.integers(0, 400)
frame = st.tuples(side, side, st.integers(1, 400), st.integers(1, 400))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(screen=st.tuples(st.integers(1, 400), st.integers(1, 400)), frames=st.lists(frame, min_size=1, max_size=3))
def test_the_guard_never_counts_fewer_gif_pixels_than_pillow_allocates(screen, frames):
    data = _gif(screen, frames)
    allocated = _pillow_pixels(data)
    if allocated:
        assert read_image_size(data).pixels >= allocated


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 3000)), min_size=1, max_size=3))
def test_the_guard_never_counts_fewer_tiff_pixels_than_pillow_allocates(pages):
    data = _tiff(pages)
    allocated = _pillow_pixels(data)
    if allocated:
        assert read_image_size(data).pixels >= allocated


@settings(max_examples=100, deadline=None)
@given(width=st.integers(1, 5000), height=st.integers(-5000, 5000).filter(bool), core=st.booleans())
def test_the_guard_never_counts_fewer_bmp_pixels_than_pillow_allocates(width, height, core):
    if core:
        width, height = width % 65536, abs(height)
        header = struct.pack("<IHHHH", 12, width, height, 1, 24)
    else:
        header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0)
    data = b"BM" + struct.pack("<IHHI", 14 + len(header), 0, 0, 14 + len(header)) + header
    allocated = _pillow_pixels(data)
    if allocated:
        assert read_image_size(data).pixels >= allocated
