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

import lzma
import struct
import zipfile
import zlib

#: The largest member read, in bytes (a 4096 x 4096 RGBA BMP is 64 MiB).
DEFAULT_MAX_MEMBER_BYTES = 256 * 1024 * 1024
#: The largest declared compression ratio of a member over `RATIO_FREE_BYTES`.
DEFAULT_MAX_RATIO = 200
RATIO_FREE_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024


class ArchiveMemberError(ValueError):
    """A zip member that cannot be read: corrupt, truncated, encrypted, or compressed in a way zipfile lacks."""


class MemberTooLargeError(ValueError):
    """A zip member is over the size or compression-ratio limit; raised before it is inflated."""


def open_zip(path):
    """`zipfile.ZipFile(path)` (a path or a binary file object), or `ArchiveMemberError` (a ValueError) with one
    line naming `path` when it is not a readable zip (a bad or truncated central directory, a crafted header)."""
    name = path if isinstance(path, (str, bytes)) or hasattr(path, "__fspath__") else getattr(path, "name", "archive")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, NotImplementedError, OverflowError,
            RuntimeError) as error:
        if isinstance(error, OSError) and error.errno is not None:
            raise  # the file itself cannot be read (missing, a permission): the caller names it
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ArchiveMemberError(f"{name} is not a readable .zip archive ({detail})") from None


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
        ArchiveMemberError (a ValueError): a member that cannot be read (corrupt or truncated data, a bad
            CRC, encrypted, an unsupported compression method); the one-line message names the archive
            and the member.
        KeyError: no such member.
    """
    info = name if isinstance(name, zipfile.ZipInfo) else archive.getinfo(name)
    check_member(info, max_bytes, max_ratio)
    chunks, size = [], 0
    try:
        with archive.open(info) as member:
            while True:
                chunk = member.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise MemberTooLargeError(f"holds more than the {max_bytes:,}-byte limit for one member; "
                                              "skipped")
                chunks.append(chunk)
    except MemberTooLargeError:
        raise
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, RuntimeError, NotImplementedError,
            ValueError, struct.error) as error:
        # zipfile raises RuntimeError for an encrypted member, NotImplementedError for a compression method
        # it lacks, EOFError for a truncated stream, BadZipFile for a bad header or CRC, LZMAError and
        # zlib.error for corrupt data (bz2's is an OSError).
        where = f"{getattr(archive, 'filename', None) or 'the archive'}:{info.filename}"
        if isinstance(error, RuntimeError) and "encrypted" in str(error):
            detail = "it is encrypted (password-protected); keras-animegan reads unencrypted zips"
        elif isinstance(error, NotImplementedError):
            detail = f"it is compressed with method {info.compress_type}, which Python's zipfile cannot read"
        else:
            detail = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'corrupt data'}"
        raise ArchiveMemberError(f"{where} cannot be read: {detail}") from None
    return b"".join(chunks)
