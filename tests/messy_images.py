"""Every kind of good and bad image file, made in memory, for the pipeline and builder tests."""

import io

import numpy as np
from PIL import Image

from tests.bombs import all_bombs


def encode(image, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format=kwargs.pop("format", "PNG"), **kwargs)
    return buffer.getvalue()


def messy_files():
    """(relative path -> bytes), and the set of readable ones."""
    rgb = Image.new("RGB", (40, 20), (200, 10, 10))
    palette = Image.new("P", (20, 20), 0)
    palette.putpalette([0, 128, 0] * 256)
    palette_transparent = palette.copy()
    palette_transparent.info["transparency"] = 0
    rgba = Image.new("RGBA", (20, 20), (0, 0, 255, 0))  # fully transparent blue -> white
    grey16 = Image.fromarray(np.full((20, 20), 65535, np.uint16))
    good = {
        "rgb.png": encode(rgb),
        "grey.png": encode(Image.new("L", (20, 30), 90)),
        "palette.png": encode(palette),
        "palette_transparent.png": encode(palette_transparent, transparency=0),
        "rgba.png": encode(rgba),
        "grey16.png": encode(grey16),
        "photo.jpg": encode(rgb, format="JPEG"),
        "cmyk.jpg": encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), format="JPEG"),
        "pic.webp": encode(rgb, format="WEBP"),
        "pic.bmp": encode(rgb, format="BMP"),
        "tiny.png": encode(Image.new("RGB", (2, 3), (1, 2, 3))),
        "nested/deeper/inner.PNG": encode(rgb),
    }
    bad = {
        **{f"bombs/{name}": data for name, data in all_bombs().items()},  # small files that claim 12000^2 px
        "truncated.png": encode(rgb)[:40],
        "empty.jpg": b"",
        "notes.png": b"this is not an image at all",
    }
    ignored = {"readme.txt": b"ignored: not an image extension", ".hidden.png": encode(rgb)}
    return good, bad, ignored


def write_messy_folder(root):
    """Writes every messy file under `root` (a pathlib.Path); returns (good, bad) as `messy_files`."""
    good, bad, ignored = messy_files()
    for name, payload in {**good, **bad, **ignored}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    return good, bad
