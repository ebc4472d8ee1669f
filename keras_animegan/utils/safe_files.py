"""Writing files without following a symbolic link at the final path, and reading a run folder's own files.

Every file keras-animegan writes (images, videos, checkpoints, `.keras` files, exports, CSV and JSON
logs, model cards) is written to a fresh temporary file in the same folder, created exclusively
(`mkstemp`: never an existing path or link), and then renamed over the final path. A rename
replaces a symbolic link at the path; it never writes through it, so a planted link's target is
left untouched, and a reader never sees half a file.

Files a run appends to or reads back (`losses.csv`, `kid.csv`, `config.json`) are opened with
`O_NOFOLLOW`: a symbolic link there is refused with an error naming it.

Plain Python (no TensorFlow).
"""

import contextlib
import json
import os
import tempfile


class LinkRefusedError(ValueError):
    """A file keras-animegan reads or appends to in its own folder is a symbolic link."""


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(path, suffix=None):
    """Yields a new temporary path beside `path`; renames it over `path` when the block succeeds.

    For writers that take a path (Pillow, Keras, h5py, OpenCV, the converters). The temporary
    file keeps `path`'s extension (or `suffix`), since some writers pick the format from it. On an
    error it is removed and `path` is unchanged.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    base = os.path.basename(path)
    ext = suffix if suffix is not None else os.path.splitext(base)[1]
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=f".tmp{ext}")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def open_replacing(path, mode="wb", **kwargs):
    """`open()` for writing, through `replacing`: the file appears at `path` whole, when the block ends."""
    with replacing(path) as tmp:
        with open(tmp, mode, **kwargs) as f:
            yield f


def write_bytes(path, data):
    with open_replacing(path, "wb") as f:
        f.write(data)


def write_text(path, text):
    with open_replacing(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_json(path, value, **kwargs):
    with open_replacing(path, "w", encoding="utf-8") as f:
        json.dump(value, f, **kwargs)


def open_no_follow(path, mode="r", **kwargs):
    """`open(path, mode)` that refuses a symbolic link at `path` (`LinkRefusedError` naming it).

    For the files of a run folder that are read back or appended to: a link planted there would
    make the run read, or append to, a file outside the folder.
    """
    path = os.fspath(path)
    flags = {"r": os.O_RDONLY, "a": os.O_WRONLY | os.O_APPEND | os.O_CREAT}[mode[0]]
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError as error:
        if os.path.islink(path):
            raise LinkRefusedError(f"{path} is a symbolic link; keras-animegan does not follow links in its "
                                   "own folders. Remove it, or use another folder.") from None
        raise error
    return os.fdopen(fd, mode, **kwargs)


def refuse_link(path):
    """Raises `LinkRefusedError` when `path` is a symbolic link (see `open_no_follow`)."""
    if os.path.islink(os.fspath(path)):
        raise LinkRefusedError(f"{os.fspath(path)} is a symbolic link; keras-animegan does not follow links in "
                               "its own folders. Remove it, or use another folder.")
