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
import re
import struct

from keras_animegan.utils import optional

#: The default pixel budget: a 4096 x 4096 image (16.8 megapixels), decoded as 8-bit RGB in 48 MiB.
DEFAULT_MAX_PIXELS = 4096 * 4096

#: The formats whose sizes are read here, and the only ones the pipelines decode.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")

# Bounds on the work of a header walk, so a crafted file is refused in milliseconds, not walked for minutes.
# Real files stay far below them: a 32 MiB GIF in 255-byte sub-blocks has 130,000; a JPEG has tens of
# markers before its scan; a multi-page TIFF has a few dozen entries per page.
#: PNG chunks, WebP chunks or JPEG markers walked.
MAX_CHUNKS = 100_000
#: GIF blocks and sub-blocks walked.
MAX_GIF_BLOCKS = 500_000
#: TIFF image directories, and their entries in all.
MAX_TIFF_DIRECTORIES = 1024
MAX_TIFF_ENTRIES = 65_536


class ImageHeaderError(ValueError):
    """The headers of an image are malformed, or would take too much work to read (a crafted file)."""


def _too_many(kind, what, limit):
    return ImageHeaderError(f"a {kind} with more than {limit:,} {what} (a crafted file?); refused without "
                            "reading further")


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
    for _ in range(MAX_CHUNKS + 1):
        if offset + 8 > len(data):
            break
        length, kind = struct.unpack_from(">I4s", data, offset)
        if kind == b"fcTL" and offset + 8 + 20 <= len(data):  # APNG frame control: width, height, x, y
            w, h, x, y = struct.unpack_from(">IIII", data, offset + 12)
            frames.append((x + w, y + h))
        if kind == b"IEND":
            break
        offset += 12 + length
    else:
        raise _too_many("PNG", "chunks", MAX_CHUNKS)
    return ImageSize("PNG", width, height, tuple(frames))


class _GifWalk:
    """Walks a GIF's blocks the way Pillow's GIF reader does (see `_gif`), counting the sub-blocks read."""

    def __init__(self, data):
        self.data, self.steps = data, 0

    def sub_block(self, offset):
        """Pillow's `data()`: `(offset after it, its bytes or None)` (None: an empty one, or the end)."""
        self.steps += 1
        if self.steps > MAX_GIF_BLOCKS:
            raise _too_many("GIF", "blocks", MAX_GIF_BLOCKS)
        data = self.data
        if offset < len(data) and data[offset]:
            return offset + 1 + data[offset], data[offset + 1:offset + 1 + data[offset]]
        return offset + 1, None

    def skip_sub_blocks(self, offset):
        """Pillow's `while self.data(): pass`."""
        block = True
        while block is not None:
            offset, block = self.sub_block(offset)
        return offset

    def extension(self, offset, first_frame):
        """The offset after an extension whose label is at `offset`, as far as Pillow reads it."""
        label = self.data[offset]
        offset, block = self.sub_block(offset + 1)
        if label == 0xFE:  # a comment: its sub-blocks up to an empty one
            while block is not None:
                offset, block = self.sub_block(offset)
            return offset
        if label == 0xFF and first_frame and block is not None and block.startswith(b"NETSCAPE2.0"):
            offset, _ = self.sub_block(offset)
        return self.skip_sub_blocks(offset)

    def next_frame(self, offset, frames):
        """`(offset, (right, bottom))` of the next image descriptor from `offset`, or `(offset, None)`."""
        data = self.data
        while offset < len(data):
            kind = data[offset]
            offset += 1
            if kind == 0x3B:  # trailer
                break
            if kind == 0x21 and offset < len(data):  # extension: its label, then sub-blocks
                offset = self.extension(offset, not frames)
            elif kind == 0x2C:  # image descriptor: left, top, width, height, flags
                left, top, w, h = struct.unpack_from("<HHHH", data, offset)
                flags = data[offset + 8]
                offset += 9 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0) + 1  # + LZW code size
                return offset, (left + w, top + h)
            # any other byte starts no block: Pillow skips it and reads on, and so does the walk
        return offset, None


def _gif(data):
    """The GIF's canvas is what Pillow allocates: the logical screen grown to hold every frame (Pillow
    widens it to the farthest right edge and lowers it to the farthest bottom edge, so a 255 x 65,535 screen
    with a 2,730 x 1 frame is a 2,730 x 65,535 canvas).

    The blocks are walked the way Pillow's GIF reader walks them, quirks included, so the frames it finds
    are the frames counted here: a byte that starts no block is skipped; after an extension's label,
    Pillow reads one sub-block and then sub-blocks up to an empty one (so an extension whose first
    sub-block is empty runs on into the bytes after it), except a comment, which ends at its first empty
    sub-block; a NETSCAPE2.0 application block of the first frame reads one sub-block more.
    """
    width, height = _u16le(data, 6), _u16le(data, 8)
    offset = 13
    if data[10] & 0x80:  # global colour table
        offset += 3 * 2 ** ((data[10] & 7) + 1)
    walk, frames = _GifWalk(data), []
    while True:
        if frames:  # the previous frame's image data
            offset = walk.skip_sub_blocks(offset)
        offset, frame = walk.next_frame(offset, frames)
        if frame is None:
            break
        frames.append(frame)
    width = max([width] + [w for w, _ in frames])
    height = max([height] + [h for _, h in frames])
    return ImageSize("GIF", width, height, tuple(frames))


_JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


_FILL = re.compile(rb"\xff+")


def _jpeg(data):
    frames = []
    offset = 2
    for _ in range(MAX_CHUNKS + 1):
        offset = data.find(b"\xff", offset)
        if offset < 0:
            break
        offset = _FILL.match(data, offset).end()  # the marker's 0xFF and any fill bytes
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
    else:
        raise _too_many("JPEG", "markers", MAX_CHUNKS)
    if not frames:
        raise ValueError("a JPEG without a frame header (SOF)")
    width, height = frames[0]
    return ImageSize("JPEG", width, height, tuple(frames))


def _webp(data):
    frames = []
    width = height = None
    offset = 12
    for _ in range(MAX_CHUNKS + 1):
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
    else:
        raise _too_many("WebP", "chunks", MAX_CHUNKS)
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


# TIFF field types -> (struct code of one value, its size). A rational counts by its numerator.
_TIFF_TYPES = {1: ("B", 1), 2: ("B", 1), 3: ("H", 2), 4: ("I", 4), 5: ("I", 8), 6: ("b", 1), 7: ("B", 1),
               8: ("h", 2), 9: ("i", 4), 10: ("i", 8), 11: ("f", 4), 12: ("d", 8), 13: ("I", 4), 16: ("Q", 8),
               17: ("q", 8), 18: ("Q", 8)}


def _tiff_first_value(data, endian, entry):
    """The first value of a TIFF entry, as Pillow reads it: of any type and count, inline or at its offset."""
    kind, count = struct.unpack_from(endian + "HI", data, entry + 2)
    code, size = _TIFF_TYPES.get(kind, ("I", 4))
    at = entry + 8 if count * size <= 4 else struct.unpack_from(endian + "I", data, entry + 8)[0]
    value = struct.unpack_from(endian + code, data, at)[0]
    try:
        return abs(int(value))
    except (OverflowError, ValueError):  # an infinite or NaN float: no size Pillow could allocate
        return 0


def _tiff(data):
    endian = "<" if data[:2] == b"II" else ">"
    if struct.unpack_from(endian + "H", data, 2)[0] != 42:
        raise ValueError("a TIFF variant (BigTIFF?) that is not read here")
    frames, seen, entries = [], set(), 0
    offset = struct.unpack_from(endian + "I", data, 4)[0]
    while offset and offset not in seen and offset + 2 <= len(data):
        if len(seen) >= MAX_TIFF_DIRECTORIES:
            raise _too_many("TIFF", "image directories", MAX_TIFF_DIRECTORIES)
        seen.add(offset)
        count = struct.unpack_from(endian + "H", data, offset)[0]
        entries += count
        if entries > MAX_TIFF_ENTRIES:
            raise _too_many("TIFF", "directory entries", MAX_TIFF_ENTRIES)
        values = {}
        for i in range(min(count, (len(data) - offset - 2) // 12)):
            entry = offset + 2 + 12 * i
            tag = struct.unpack_from(endian + "H", data, entry)[0]
            if tag in (256, 257):  # ImageWidth, ImageLength: normally one SHORT or LONG, and once; a crafted
                # directory may repeat one (Pillow then keeps the first), so the largest is counted
                values[tag] = max(values.get(tag, 0), _tiff_first_value(data, endian, entry))
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
        ImageHeaderError (a ValueError): the bytes are not one of `FORMATS`, too
            short or malformed to hold the headers, or so many blocks that
            walking them would take too long (`MAX_CHUNKS`, `MAX_GIF_BLOCKS`,
            `MAX_TIFF_DIRECTORIES`, `MAX_TIFF_ENTRIES`).
    """
    data = bytes(data) if not isinstance(data, (bytes, bytearray)) else data
    kind = image_format(data)
    if kind is None:
        raise ImageHeaderError(f"not a {', '.join(FORMATS[:-1])} or {FORMATS[-1]} image")
    try:
        return _READERS[kind](data)
    except (struct.error, IndexError):
        raise ImageHeaderError(f"a truncated or malformed {kind} header") from None
    except ImageHeaderError:
        raise
    except ValueError as error:
        raise ImageHeaderError(str(error)) from None


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
