"""Reading one member of a `.zip` without trusting its headers: a declared-size and ratio check, then a bounded read.

A zip of a few megabytes can hold a member that inflates to gigabytes (a "zip bomb"). Every reader of
zip members in keras-animegan (the image pipelines, the TFDS builders, `tags.csv` inside an archive,
LiteRT calibration images) goes through `read_member`, which:

- refuses a member whose declared size is over `max_bytes` (default 256 MiB, far above any image the
  pixel budget of `keras_animegan.utils.image_size` lets through) or whose declared compression ratio
  is over `max_ratio` (default 200:1 for members over 1 MiB; images are compressed already, and
  deflate gets about 1:1 on them), before inflating a byte;
- then reads it in chunks and stops at `max_bytes`, whatever the headers said, so memory never grows
  with what a member holds.

Plain Python (no TensorFlow, no Pillow).
"""

import zipfile

#: The largest member read, in bytes (a 4096 x 4096 RGBA BMP is 64 MiB).
DEFAULT_MAX_MEMBER_BYTES = 256 * 1024 * 1024
#: The largest declared compression ratio of a member over `RATIO_FREE_BYTES`.
DEFAULT_MAX_RATIO = 200
RATIO_FREE_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024


class MemberTooLargeError(ValueError):
    """A zip member is over the size or compression-ratio limit; raised before it is inflated."""


def check_member(info, max_bytes=DEFAULT_MAX_MEMBER_BYTES, max_ratio=DEFAULT_MAX_RATIO):
    """Raises `MemberTooLargeError` when a `ZipInfo`'s declared size or compression ratio is over the limits."""
    if max_bytes is not None and info.file_size > max_bytes:
        raise MemberTooLargeError(f"declares {info.file_size:,} bytes, over the {max_bytes:,}-byte limit for "
                                  "one member (a zip bomb?); skipped without inflating it")
    if max_ratio is not None and info.file_size > RATIO_FREE_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > max_ratio:
            raise MemberTooLargeError(f"declares a compression ratio of {ratio:,.0f}:1 ({info.file_size:,} bytes "
                                      f"from {info.compress_size:,}), over {max_ratio}:1 (a zip bomb?); skipped "
                                      "without inflating it")


def read_member(archive, name, max_bytes=DEFAULT_MAX_MEMBER_BYTES, max_ratio=DEFAULT_MAX_RATIO):
    """The bytes of member `name` (a name or `ZipInfo`) of an open `zipfile.ZipFile`, read within the limits.

    Raises:
        MemberTooLargeError (a ValueError): over the declared-size or ratio limit, or more bytes than
            `max_bytes` came out of it.
        KeyError: no such member. zipfile.BadZipFile / zlib.error / OSError: a corrupt member.
    """
    info = name if isinstance(name, zipfile.ZipInfo) else archive.getinfo(name)
    check_member(info, max_bytes, max_ratio)
    chunks, size = [], 0
    with archive.open(info) as member:
        while True:
            chunk = member.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise MemberTooLargeError(f"holds more than the {max_bytes:,}-byte limit for one member; skipped")
            chunks.append(chunk)
    return b"".join(chunks)
