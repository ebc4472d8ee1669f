"""Seed inputs for each target, made in code: small valid files of every kind the parsers read."""

import io
import struct
import zipfile

from PIL import Image


def _save(fmt, frames=1, size=(8, 6), **kwargs):
    images = [Image.new("RGB", size, (30 * i, 90, 200)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format=fmt, save_all=frames > 1, append_images=images[1:], **kwargs)
    return buffer.getvalue()


def images():
    seeds = [_save("PNG"), _save("PNG", 2, duration=100), _save("JPEG"), _save("GIF", 2, duration=100),
             _save("WEBP", 2, duration=100, lossless=True), _save("WEBP"), _save("BMP"), _save("TIFF", 2),
             _save("TIFF", compression="tiff_deflate")]
    grey = io.BytesIO()
    Image.new("L", (5, 5), 7).save(grey, format="PNG")
    return seeds + [grey.getvalue()]


def tags():
    return [b"filename,tags\na.png,blue_hair long_hair\nsub/b.png,red_hair,glasses\n",
            b"\xef\xbb\xbfa.png,blue_hair\r\nb.png,\"red_hair, short_hair\"\r\n",
            b"a.png,x\rb.png,y\r", b"a.png\n\n,\nc.png,  Blue_Hair  :d ^_^\n"]


def zips():
    out = []
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=method) as archive:
            archive.writestr("tags.csv", tags()[0])
            archive.writestr("images/a.png", images()[0])
        out.append(buffer.getvalue())
    encrypted = bytearray(out[1])
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = encrypted.index(signature)
        struct.pack_into("<H", encrypted, at + flags, struct.unpack_from("<H", encrypted, at + flags)[0] | 1)
    return out + [bytes(encrypted)]


SEEDS = {"image": images, "tags": tags, "zip": zips}
