"""Image decoding: encoded bytes -> 8-bit RGB arrays, and which file names are images.

Pillow reads png, jpg, webp, bmp, tiff and gif (first frame) in every mode:
grey, palette, RGBA (composited on white), CMYK and 16-bit images all come out
as 8-bit RGB. Before anything is decoded, the headers are checked against a
pixel budget (`keras_animegan.utils.image_size`), so a small file that claims
gigapixels is refused, not decoded. This module imports no TensorFlow, so the TFDS builders, the
command line and the data pipelines share it without importing each other.
"""

import io
import os
import stat

import numpy as np
from PIL import Image
from PIL import ImageOps
from PIL import UnidentifiedImageError

from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.image_size import FORMATS
from keras_animegan.utils.image_size import ImageHeaderError
from keras_animegan.utils.image_size import ImageTooLargeError
from keras_animegan.utils.image_size import check_image_size

class UnreadableImageError(ValueError):
    """Bytes that are not a readable image: an unknown format, a corrupt or truncated file, a decoder failure."""


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def to_rgb(image):
    """Converts a PIL image of any mode to 8-bit RGB; transparency is composited on white."""
    image.load()
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit (and 32-bit int) greyscale: scale to 8 bits by the type's range.
        array = np.asarray(image, dtype=np.int64)
        top = 65535 if image.mode.startswith("I;16") or array.max() > 255 else 255
        array = (np.clip(array, 0, top) * 255 // top).astype(np.uint8)
        return Image.fromarray(array, "L").convert("RGB")
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float32)
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        return Image.fromarray(array, "L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    return image.convert("RGB")


def decode_image(data, image_size=None, max_pixels=DEFAULT_MAX_PIXELS, name="image"):
    """Decodes image bytes to a uint8 RGB array, optionally resized and center-cropped.

    Args:
        data: the encoded file's bytes.
        image_size: int, or None to keep the image's own size.
        max_pixels: the pixel budget (see `check_image_size`), checked on the
            headers before decoding; None: no limit.
        name: what error messages call the image (e.g. its path).

    Raises (each a ValueError, with a one-line message naming `name`):
        ImageTooLargeError: over `max_pixels`, from the headers, before decoding.
        ImageHeaderError: headers that are malformed, or so many blocks that
            reading them would take too long (see `read_image_size`).
        UnreadableImageError: anything else that stops Pillow (a corrupt chunk,
            a bad tag type, a truncated file); what Pillow raised is in the message.
    """
    try:
        check_image_size(data, max_pixels, name)
    except ImageTooLargeError:
        raise
    except ImageHeaderError as error:
        raise ImageHeaderError(f"{name} is not a readable image: {error}") from None
    try:
        return _decode(data, image_size)
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(f"{name}: {error}") from None
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, TypeError, struct.error, ...
        if isinstance(error, UnidentifiedImageError):
            detail = "Pillow cannot identify it"
        else:
            detail = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'no detail'}"
        raise UnreadableImageError(f"{name} is not a readable image ({detail})") from None


def _decode(data, image_size):
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        image = ImageOps.exif_transpose(image)
        image = to_rgb(image)
        if image_size is not None:
            image = ImageOps.fit(image, (image_size, image_size), Image.Resampling.LANCZOS)
        return np.asarray(image, dtype=np.uint8)


def is_image_name(name):
    """Whether a file name (or zip member path) is an image the pipelines read: by extension, not hidden."""
    base = os.path.basename(name)
    return (
        not base.startswith(".")
        and "__MACOSX" not in name
        and base.lower().endswith(IMAGE_EXTENSIONS)
    )


def read_image_file(path, max_pixels=DEFAULT_MAX_PIXELS, name=None):
    """A file as uint8 RGB; ValueError when it is not a regular file or not an image (the errors of
    `decode_image`), `ImageTooLargeError` when its headers claim more than `max_pixels` (read before
    decoding, see `check_image_size`).

    A FIFO, socket or device named like an image is refused, not read (reading a FIFO blocks until
    someone writes). `name` is what messages call the file (default: its path).
    """
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise ValueError(f"cannot read it ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        raise ValueError("not a regular file (a FIFO, socket or device)")
    with open(path, "rb") as f:
        return decode_image(f.read(), max_pixels=max_pixels, name=name or path)

