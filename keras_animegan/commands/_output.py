"""What the image commands share: progress bars and writing a PNG."""

import os


def progress(iterable=None, total=None, desc=None, unit="img"):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=None)  # None: off when not a terminal


def save(image, path):
    """Writes a uint8 image to `path` (the format from its extension), making its folder."""
    from PIL import Image

    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    Image.fromarray(image).save(path)


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
