"""What the image commands share: progress bars and writing a PNG."""

import os


def progress(iterable=None, total=None, desc=None, unit="img"):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=None)  # None: off when not a terminal


def save(image, path):
    """Writes a uint8 image to `path` (the format from its extension), making its folder."""
    from PIL import Image

    from keras_animegan.utils import safe_files

    # A fresh file renamed over `path`: a symbolic link there is replaced, its target left alone.
    with safe_files.replacing(path) as tmp:
        Image.fromarray(image).save(tmp, format=Image.registered_extensions().get(os.path.splitext(path)[1].lower()))


def add_trust_flag(parser):
    """`--trust_model`: the MODEL file (SavedModel, .tflite) is one you trust to run (see `utils.trust.warn_untrusted`)."""
    parser.add_argument("--trust_model", action="store_true",
                        help="MODEL is a SavedModel or .tflite file you trust: no warning that loading it runs its "
                             "graph.")


def folder_name(path):
    """`path` as a folder for messages: one trailing separator (`avatars/`, not `avatars//`)."""
    return path.rstrip("/" + os.sep) + "/"


def positive_int(flag):
    """An `argparse` type: a positive integer, or an error naming `flag`."""
    import argparse

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a positive integer; got {text!r}")
        return value

    return parse


def add_upscaler_flags(parser, what):
    """`--upscaler`: what grows images to `--size` (`generate`, and `translate` with a photo-to-avatar preset)."""
    parser.add_argument("--upscaler", default=None,
                        help=f"How {what} grow to --size: an upscaler preset name or folder, a .keras file, an "
                             "export (SavedModel folder or .tflite file), or none (plain bicubic resizing). "
                             "Default: upscaler_avatars_x4.")
