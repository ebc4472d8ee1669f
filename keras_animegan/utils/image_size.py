"""The decoded size of an encoded image, read from its headers before anything is decoded.

A few hundred bytes can claim gigapixels: a PNG's IHDR, a JPEG's SOF, a GIF
frame's image descriptor (which may be far larger than the GIF's logical
screen), an APNG `fcTL`, a WebP canvas or `ANMF` frame, a BMP's DIB header, a
TIFF IFD. Every reader of images in keras-animegan (the data pipelines, the
command line, the web demo, the REST server) calls `check_image_size` first,
so an image over the pixel budget is refused with a clear error instead of
being decoded into gigabytes.

This module is plain Python (no TensorFlow, no Pillow): the exported
SavedModel signatures do the same check in the graph (`keras_animegan.export`).

>>> size = read_image_size(open("photo.jpg", "rb").read())
>>> size.format, size.width, size.height, size.pixels
('JPEG', 4032, 3024, 12192768)
"""

import dataclasses
import struct

from keras_animegan.utils import optional

#: The default pixel budget: a 4096 x 4096 image (16.8 megapixels), decoded as 8-bit RGB in 48 MiB.
DEFAULT_MAX_PIXELS = 4096 * 4096

#: The formats whose sizes are read here, and the only ones the pipelines decode.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")

# Bounds the work of a header walk on hostile input (chunks, GIF blocks, TIFF directories).
_MAX_BLOCKS = 1_000_000
_MAX_IFDS = 1024


class ImageTooLargeError(ValueError):
    """An image (or one of its frames) is over the pixel budget; raised before decoding it."""


@dataclasses.dataclass(frozen=True)
class ImageSize:
    """What the headers of an encoded image say.

    Attributes:
        format: one of `FORMATS`.
        width, height: the canvas (the size a decoder reports).
        frames: `(width, height)` of every frame, or of the one image; a frame
            placed at an offset counts up to its far edge.
    """

    format: str
    width: int
    height: int
    frames: tuple

    @property
    def pixels(self):
        """Pixels of the largest buffer a decoder allocates for one frame (canvas or frame)."""
        return max([self.width * self.height] + [w * h for w, h in self.frames])

    @property
    def total_pixels(self):
        """Pixels of all frames together (what a decoder of every frame allocates)."""
        return max(self.width * self.height, sum(w * h for w, h in self.frames))


def _u16le(data, offset):
    return struct.unpack_from("<H", data, offset)[0]


def _u16be(data, offset):
    return struct.unpack_from(">H", data, offset)[0]


def _u24le(data, offset):
    return data[offset] | data[offset + 1] << 8 | data[offset + 2] << 16


def _png(data):
    width, height = struct.unpack_from(">II", data, 16)
    frames = [(width, height)]
    offset = 8
    for _ in range(_MAX_BLOCKS):
        if offset + 8 > len(data):
            break
        length, kind = struct.unpack_from(">I4s", data, offset)
        if kind == b"fcTL" and offset + 8 + 20 <= len(data):  # APNG frame control: width, height, x, y
            w, h, x, y = struct.unpack_from(">IIII", data, offset + 12)
            frames.append((x + w, y + h))
        if kind == b"IEND":
            break
        offset += 12 + length
    return ImageSize("PNG", width, height, tuple(frames))


def _gif(data):
    width, height = _u16le(data, 6), _u16le(data, 8)
    frames = []
    offset = 13
    if data[10] & 0x80:  # global colour table
        offset += 3 * 2 ** ((data[10] & 7) + 1)

    def skip_sub_blocks(offset):
        for _ in range(_MAX_BLOCKS):
            if offset >= len(data) or data[offset] == 0:
                return offset + 1
            offset += data[offset] + 1
        return len(data)

    for _ in range(_MAX_BLOCKS):
        if offset >= len(data) or data[offset] == 0x3B:  # trailer
            break
        if data[offset] == 0x21:  # extension: label, then sub-blocks
            offset = skip_sub_blocks(offset + 2)
        elif data[offset] == 0x2C:  # image descriptor: left, top, width, height, flags
            if offset + 10 > len(data):
                break
            left, top, w, h = struct.unpack_from("<HHHH", data, offset + 1)
            frames.append((left + w, top + h))
            flags = data[offset + 9]
            offset += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
            offset = skip_sub_blocks(offset + 1)  # LZW minimum code size, then the data sub-blocks
        else:
            break  # not a GIF block: decoders stop here too
    return ImageSize("GIF", width, height, tuple(frames))


_JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data):
    frames = []
    offset = 2
    for _ in range(_MAX_BLOCKS):
        while offset < len(data) and data[offset] != 0xFF:
            offset += 1
        while offset < len(data) and data[offset] == 0xFF:  # fill bytes
            offset += 1
        if offset >= len(data):
            break
        marker = data[offset]
        offset += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            continue
        if marker == 0xD9 or offset + 2 > len(data):
            break
        length = _u16be(data, offset)
        if marker in _JPEG_SOF and offset + 7 <= len(data):
            height, width = struct.unpack_from(">HH", data, offset + 3)
            frames.append((width, height))
        if marker == 0xDA:  # start of scan: the frame header came before it
            break
        offset += length
    if not frames:
        raise ValueError("a JPEG without a frame header (SOF)")
    width, height = frames[0]
    return ImageSize("JPEG", width, height, tuple(frames))


def _webp(data):
    frames = []
    width = height = None
    offset = 12
    for _ in range(_MAX_BLOCKS):
        if offset + 8 > len(data):
            break
        kind, length = struct.unpack_from("<4sI", data, offset)
        body = offset + 8
        if kind == b"VP8X" and body + 10 <= len(data):
            width, height = _u24le(data, body + 4) + 1, _u24le(data, body + 7) + 1
        elif kind == b"ANMF" and body + 12 <= len(data):
            x, y = 2 * _u24le(data, body), 2 * _u24le(data, body + 3)
            frames.append((x + _u24le(data, body + 6) + 1, y + _u24le(data, body + 9) + 1))
        elif kind == b"VP8 " and body + 10 <= len(data):
            frames.append((_u16le(data, body + 6) & 0x3FFF, _u16le(data, body + 8) & 0x3FFF))
        elif kind == b"VP8L" and body + 5 <= len(data):
            bits = struct.unpack_from("<I", data, body + 1)[0]
            frames.append(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        offset = body + length + (length & 1)
    if width is None:
        if not frames:
            raise ValueError("a WebP without a VP8X, VP8 or VP8L chunk")
        width, height = frames[0]
    return ImageSize("WEBP", width, height, tuple(frames))


def _bmp(data):
    if _u16le(data, 14) == 12:  # BITMAPCOREHEADER: 16-bit sizes
        width, height = _u16le(data, 18), _u16le(data, 20)
    else:
        width, height = struct.unpack_from("<ii", data, 18)
    width, height = abs(width), abs(height)  # a negative height is a top-down bitmap
    return ImageSize("BMP", width, height, ((width, height),))


def _tiff(data):
    endian = "<" if data[:2] == b"II" else ">"
    if struct.unpack_from(endian + "H", data, 2)[0] != 42:
        raise ValueError("a TIFF variant (BigTIFF?) that is not read here")
    frames, seen = [], set()
    offset = struct.unpack_from(endian + "I", data, 4)[0]
    while offset and offset not in seen and len(seen) < _MAX_IFDS and offset + 2 <= len(data):
        seen.add(offset)
        count = struct.unpack_from(endian + "H", data, offset)[0]
        values = {}
        for i in range(count):
            entry = offset + 2 + 12 * i
            if entry + 12 > len(data):
                break
            tag, kind = struct.unpack_from(endian + "HH", data, entry)
            if tag in (256, 257):  # ImageWidth, ImageLength: SHORT or LONG
                values[tag] = struct.unpack_from(endian + ("H" if kind == 3 else "I"), data, entry + 8)[0]
        frames.append((values.get(256, 0), values.get(257, 0)))
        end = offset + 2 + 12 * count
        offset = struct.unpack_from(endian + "I", data, end)[0] if end + 4 <= len(data) else 0
    if not frames:
        raise ValueError("a TIFF without an image directory")
    width, height = frames[0]
    return ImageSize("TIFF", width, height, tuple(frames))


def image_format(data):
    """The format of encoded image bytes from their magic number (one of `FORMATS`), or None."""
    head = bytes(data[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8"):
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


_READERS = {"PNG": _png, "JPEG": _jpeg, "GIF": _gif, "WEBP": _webp, "BMP": _bmp, "TIFF": _tiff}


def read_image_size(data):
    """The `ImageSize` of encoded image bytes, from their headers only.

    Raises:
        ValueError: the bytes are not one of `FORMATS`, or too short or
            malformed to hold the headers.
    """
    data = memoryview(data).cast("B") if not isinstance(data, (bytes, bytearray)) else data
    kind = image_format(data)
    if kind is None:
        raise ValueError(f"not a {', '.join(FORMATS[:-1])} or {FORMATS[-1]} image")
    try:
        return _READERS[kind](data)
    except (struct.error, IndexError):
        raise ValueError(f"a truncated or malformed {kind} header") from None


def check_image_size(data, max_pixels=DEFAULT_MAX_PIXELS, name="image"):
    """`read_image_size(data)`, or `ImageTooLargeError` naming `name` when it is over `max_pixels`.

    The budget applies to the canvas and to every frame (a GIF frame can be
    larger than its logical screen), and to all frames together times 4 (a
    decoder of every frame, such as TensorFlow's GIF decoder, allocates them all).
    `max_pixels=None` checks nothing but the headers.
    """
    size = read_image_size(data)
    if max_pixels is None:
        return size
    if size.pixels > max_pixels:
        w, h = max([(size.width, size.height)] + list(size.frames), key=lambda s: s[0] * s[1])
        what = "a frame of " if (w, h) != (size.width, size.height) else ""
        raise ImageTooLargeError(
            f"{name} is {what}{w}x{h} pixels ({size.format}), over the limit of {max_pixels:,} pixels; "
            "scale it down first.")
    if size.total_pixels > 4 * max_pixels:
        raise ImageTooLargeError(
            f"{name} has {len(size.frames)} frames of {size.total_pixels:,} pixels in all ({size.format}), over "
            f"the limit of {4 * max_pixels:,}; keep fewer frames.")
    return size


# ----------------------------------------------------------------------------------------------------
# The TensorFlow adapter: the same header reading in TensorFlow ops, for SavedModel signatures that
# take encoded images (`translate_bytes`), where bytes are tensors. `tests/utils/test_image_size.py`
# checks that both readers give the same sizes.
_tf = optional.tensorflow("reading image sizes in a TensorFlow graph")


def _le(head, offset, length):
    """Unsigned little-endian integer of `length` bytes at `offset` of a (padded) header string."""
    raw = _tf.cast(_tf.io.decode_raw(_tf.strings.substr(head, offset, length), _tf.uint8), _tf.int64)
    return _tf.reduce_sum(raw * _tf.constant([256**i for i in range(length)], _tf.int64))


def _be(head, offset, length):
    raw = _tf.cast(_tf.io.decode_raw(_tf.strings.substr(head, offset, length), _tf.uint8), _tf.int64)
    return _tf.reduce_sum(raw * _tf.constant([256**i for i in reversed(range(length))], _tf.int64))


_HEADER_BYTES = 64


def encoded_image_size_tf(data):
    """`[height, width]` (int64) of an encoded image from its header, without decoding it; `[-1, -1]` if unknown.

    PNG (IHDR), GIF (logical screen), BMP (DIB header), WebP (VP8 / VP8L / VP8X)
    and JPEG (its SOF marker, via `_tf.image.extract_jpeg_shape`). Any other
    bytes give `[-1, -1]`; `_tf.io.decode_image` then refuses them on its own.
    """
    padding = "\0" * _HEADER_BYTES
    head = _tf.strings.substr(_tf.strings.join([_tf.strings.substr(data, 0, _HEADER_BYTES), padding]), 0, _HEADER_BYTES)

    def starts(offset, magic):
        return _tf.equal(_tf.strings.substr(head, offset, len(magic)), magic)

    def size(height, width):
        return lambda: _tf.stack([height(), width()])

    def bmp():
        core = _tf.equal(_le(head, 14, 4), 12)  # BITMAPCOREHEADER: 16-bit sizes
        height = _tf.where(core, _le(head, 20, 2), _le(head, 22, 4))
        height = _tf.where(height >= 2**31, 2**32 - height, height)  # negative height: a top-down bitmap
        return _tf.stack([height, _tf.where(core, _le(head, 18, 2), _le(head, 18, 4))])

    def webp():
        chunk = _tf.strings.substr(head, 12, 4)
        vp8l = _le(head, 21, 4)
        return _tf.case([
            (_tf.equal(chunk, "VP8X"), lambda: _tf.stack([_le(head, 27, 3) + 1, _le(head, 24, 3) + 1])),
            (_tf.equal(chunk, "VP8L"), lambda: _tf.stack([(vp8l // 2**14) % 2**14 + 1, vp8l % 2**14 + 1])),
            (_tf.equal(chunk, "VP8 "), lambda: _tf.stack([_le(head, 28, 2) % 2**14, _le(head, 26, 2) % 2**14])),
        ], default=lambda: _tf.constant([-1, -1], _tf.int64))

    return _tf.case([
        (starts(0, b"\x89PNG\r\n\x1a\n"), size(lambda: _be(head, 20, 4), lambda: _be(head, 16, 4))),
        (starts(0, b"GIF"), size(lambda: _le(head, 8, 2), lambda: _le(head, 6, 2))),
        (starts(0, b"BM"), bmp),
        (_tf.logical_and(starts(0, b"RIFF"), starts(8, b"WEBP")), webp),
        (starts(0, b"\xff\xd8"), lambda: _tf.cast(_tf.image.extract_jpeg_shape(data)[:2], _tf.int64)),
    ], default=lambda: _tf.constant([-1, -1], _tf.int64))


def gif_frame_pixels_tf(data):
    """`(largest, total)` pixels (int64) of a GIF's frames, from their image descriptors, without decoding.

    A GIF frame may be far larger than the logical screen that
    `encoded_image_size_tf` reads, and TensorFlow's GIF decoder allocates every
    frame, so the graph walks the blocks: extensions and each frame's LZW data
    are skipped by their sub-block lengths (the same walk as
    `_gif` above, in TensorFlow ops).
    """
    raw = _tf.cast(_tf.io.decode_raw(data, _tf.uint8), _tf.int64)
    n = _tf.shape(raw, out_type=_tf.int64)[0]

    def at(i):  # the byte at i, or -1 past the end
        return _tf.where(i < n, _tf.gather(raw, _tf.clip_by_value(i, 0, _tf.maximum(n - 1, 0))), -1)

    def u16(i):
        return _tf.maximum(at(i), 0) + 256 * _tf.maximum(at(i + 1), 0)

    def skip_sub_blocks(i):
        i = _tf.while_loop(lambda i: at(i) > 0, lambda i: [i + at(i) + 1], [i])[0]
        return i + 1

    def table(flags):  # size of a colour table announced by `flags`
        return _tf.where(_tf.bitwise.bitwise_and(flags, 0x80) > 0,
                        3 * _tf.bitwise.left_shift(_tf.constant(2, _tf.int64), _tf.bitwise.bitwise_and(flags, 7)), 0)

    def step(i, largest, total):
        block = at(i)

        def image():
            pixels = (u16(i + 1) + u16(i + 5)) * (u16(i + 3) + u16(i + 7))
            j = skip_sub_blocks(i + 10 + table(at(i + 9)) + 1)
            return j, _tf.maximum(largest, pixels), total + pixels

        return _tf.cond(_tf.equal(block, 0x2C), image, lambda: (skip_sub_blocks(i + 2), largest, total))

    def more(i, largest, total):
        block = at(i)
        return _tf.logical_or(_tf.equal(block, 0x21), _tf.equal(block, 0x2C))

    zero = _tf.constant(0, _tf.int64)
    _, largest, total = _tf.while_loop(more, step, [13 + table(at(_tf.constant(10, _tf.int64))), zero, zero])
    return largest, total
