"""Small files that claim huge images ("decompression bombs"), made in memory for the size-guard tests.

Each starts as a real, tiny image written by Pillow, whose header (or one
frame's header) is then rewritten to claim `side` x `side` pixels. The pixel
data stays tiny, so a decoder that trusts the header allocates the claimed
size before it finds out.
"""

import io
import struct

from PIL import Image


def _save(frames, fmt, **kwargs):
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=len(frames) > 1, append_images=frames[1:], **kwargs)
    return buffer.getvalue()


def _frames(n=2, size=(8, 8)):
    return [Image.new("RGB", size, (40 * i, 100, 200)) for i in range(n)]


def gif_frame_bomb(side, screen=64, frame=0):
    """A GIF whose logical screen is `screen` x `screen` but whose frame `frame` is `side` x `side`."""
    data = bytearray(_save(_frames(2, (screen, screen)), "GIF", duration=100, loop=0))
    found, offset = -1, 13 + (3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while data[offset] != 0x3B:
        if data[offset] == 0x21:
            offset += 2
        else:
            found += 1
            if found == frame:
                data[offset + 5:offset + 9] = struct.pack("<HH", side, side)
                return bytes(data)
            flags = data[offset + 9]
            offset += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0) + 1
        while data[offset]:
            offset += data[offset] + 1
        offset += 1
    raise AssertionError("no such frame")


def apng_frame_bomb(side):
    """An APNG whose IHDR says 8 x 8 but whose second frame control (`fcTL`) says `side` x `side`."""
    data = bytearray(_save(_frames(2), "PNG", duration=100))
    at = data.rindex(b"fcTL")  # the last frame's control chunk
    data[at + 8:at + 16] = struct.pack(">II", side, side)
    return bytes(data)


def webp_frame_bomb(side):
    """An animated WebP whose canvas is 8 x 8 but whose second `ANMF` frame is `side` x `side`."""
    data = bytearray(_save(_frames(2), "WEBP", duration=100, lossless=True))
    at = data.rindex(b"ANMF") + 8
    data[at + 6:at + 12] = (side - 1).to_bytes(3, "little") + (side - 1).to_bytes(3, "little")
    return bytes(data)


def tiff_page_bomb(side):
    """A two-page TIFF whose second page's ImageWidth and ImageLength claim `side` x `side`."""
    data = bytearray(_save(_frames(2), "TIFF"))
    endian = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack_from(endian + "I", data, 4)[0]
    count = struct.unpack_from(endian + "H", data, offset)[0]
    offset = struct.unpack_from(endian + "I", data, offset + 2 + 12 * count)[0]  # the second directory
    count = struct.unpack_from(endian + "H", data, offset)[0]
    for i in range(count):
        entry = offset + 2 + 12 * i
        tag, kind = struct.unpack_from(endian + "HH", data, entry)
        if tag in (256, 257):
            struct.pack_into(endian + ("H" if kind == 3 else "I"), data, entry + 8, side)
    return bytes(data)


def header_bomb(fmt, side):
    """A still image (`PNG`, `JPEG`, `BMP`, `WEBP`) whose main header claims `side` x `side`."""
    data = bytearray(_save(_frames(1), fmt))
    if fmt == "PNG":
        data[16:24] = struct.pack(">II", side, side)
    elif fmt == "BMP":
        data[18:26] = struct.pack("<ii", side, side)
    elif fmt == "JPEG":
        at = bytes(data).index(b"\xff\xc0")
        data[at + 5:at + 9] = struct.pack(">HH", side, side)
    elif fmt == "WEBP":  # lossy VP8: 14-bit sizes
        at = bytes(data).index(b"VP8 ") + 8
        data[at + 6:at + 10] = struct.pack("<HH", side, side)
    else:
        raise ValueError(fmt)
    return bytes(data)


def all_bombs(side=12000):
    """`{name: bytes}`: one of each kind, every one over a 4096 x 4096 budget (WebP sizes cap at 16383)."""
    side_webp = min(side, 16383)
    return {
        "gif_frame.gif": gif_frame_bomb(side),
        "gif_second_frame.gif": gif_frame_bomb(side, frame=1),
        "apng_frame.png": apng_frame_bomb(side),
        "webp_frame.webp": webp_frame_bomb(side_webp),
        "tiff_page.tiff": tiff_page_bomb(side),
        "png.png": header_bomb("PNG", side),
        "jpeg.jpg": header_bomb("JPEG", side),
        "bmp.bmp": header_bomb("BMP", side),
        "webp.webp": header_bomb("WEBP", side_webp),
    }


def zip_bomb(path, members, bomb_name="a_bomb.png", bomb_bytes=4_500_000_000):
    """Writes a real zip to `path`: `members` ({name: bytes}, stored) and one deflated member of
    `bomb_bytes` zero bytes (zip64 sizes) that compresses to a few megabytes.

    The deflate stream is one 16 MiB block of zeros, compressed once and repeated: after a full flush
    deflate's state is the same, so the copies make one valid stream, and the CRC is the real one.
    """
    import zlib

    chunk_size = 1 << 24
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(chunk_size)) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)
    count = -(-bomb_bytes // chunk_size)
    bomb_bytes = count * chunk_size
    crc, zeros = 0, bytes(chunk_size)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    entries = [(name, data, 0, zlib.crc32(data), len(data), len(data)) for name, data in members.items()]
    entries.insert(0, (bomb_name, None, 8, crc, len(block) * count + len(end), bomb_bytes))
    central = []
    with open(path, "wb") as f:
        for name, data, method, crc, csize, usize in entries:
            offset, encoded = f.tell(), name.encode()
            zip64 = usize >= 0xFFFFFFFF
            extra = struct.pack("<HHQQ", 1, 16, usize, csize) if zip64 else b""
            sizes = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (csize, usize)
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc, *sizes, len(encoded),
                                len(extra)) + encoded + extra)
            if data is None:
                for _ in range(count):
                    f.write(block)
                f.write(end)
            else:
                f.write(data)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc, *sizes,
                                       len(encoded), len(extra), 0, 0, 0, 0, offset) + encoded + extra)
        start = f.tell()
        directory = b"".join(central)
        f.write(directory)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), start, 0))
    return path


def tiff_directory_spin(directories=1024, entries=65535):
    """A 790 KB TIFF of `directories` image directories that overlap, each claiming `entries` entries: a
    header walk that reads every entry makes 67 million steps (71 s) before it ends."""
    span = 2 + 12 * entries
    data = bytearray(b"II*\x00" + struct.pack("<I", 8) + bytes(4 * directories + span + 8))
    for i in range(directories):
        at = 8 + 4 * i
        struct.pack_into("<H", data, at, entries)
        struct.pack_into("<I", data, at + span, at + 4 if i + 1 < directories else 0)
    return bytes(data)


def gif_canvas_bomb(screen=(255, 65535), frame=(2730, 1)):
    """A 119-byte GIF: a `screen` logical screen and one `frame`-sized frame. Each passes a 16-megapixel
    budget alone; Pillow allocates the union, the frame's width times the screen's height (179 megapixels)."""
    head = b"GIF89a" + struct.pack("<HH", *screen) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    descriptor = b"\x2c" + struct.pack("<HHHH", 0, 0, *frame) + b"\x00"
    pixels = b"\x02" + b"\x02\x4c\x01\x00"  # LZW code size 2, one sub-block, end
    return head + descriptor + pixels + b"\x3b"
