"""What the page takes in: uploads checked (size, pixels from the header, decodable) before they are decoded,
and the error whose message the page shows."""

import os

from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.image_size import ImageTooLargeError
from keras_animegan.utils.image_size import check_image_size


#: Largest photo the Translate tab decodes (pixels, from its header): the serving signature's bound.
MAX_PIXELS = DEFAULT_MAX_PIXELS
#: Largest upload, in bytes (Gradio refuses bigger ones before they reach the app).
MAX_FILE_SIZE = 32 * 1024 * 1024


class DemoError(ValueError):
    """Bad input to the demo: its message is what the page (and a `gradio_client` caller) is shown."""


def _int(value, name, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DemoError(f"{name} must be a whole number; got {value!r}.") from None
    if not number.is_integer() or not low <= number <= high:
        raise DemoError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")
    return int(number)


def unreadable(name, error, max_pixels=MAX_PIXELS):
    """The `DemoError` for a file Pillow refused: a header over its size limit, or not an image at all.

    Names the file and the kind of failure only (Pillow's message holds the server's temporary path)."""
    from PIL import Image

    if isinstance(error, Image.DecompressionBombError):
        return DemoError(f"{name} is over the limit of {max_pixels:,} pixels; scale it down first.")
    return DemoError(f"{name} is not an image Pillow can read (PNG, JPEG, WebP, BMP, GIF): {type(error).__name__}.")


def read_photo(path, max_pixels=MAX_PIXELS):
    """An uploaded file as uint8 RGB, or `DemoError` naming it: not an image, or over `max_pixels`.

    The size is read from the headers (every frame's) before anything is decoded, so a huge image costs
    no memory.
    """
    from PIL import Image

    from keras_animegan.utils.decoding import read_image_file

    name = os.path.basename(os.fspath(path))
    try:
        return read_image_file(path, max_pixels=max_pixels, name=name)
    except ImageTooLargeError as error:
        raise DemoError(str(error)) from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise unreadable(name, error, max_pixels) from None


def check_upload(path, name, max_pixels=MAX_PIXELS):
    """Raises `DemoError` for an uploaded file over `max_pixels` (read from its headers), before Gradio decodes it."""
    try:
        with open(path, "rb") as f:
            check_image_size(f.read(), max_pixels, name)
    except ImageTooLargeError as error:
        raise DemoError(str(error)) from None
    except (OSError, ValueError) as error:
        raise unreadable(name, error, max_pixels) from None
