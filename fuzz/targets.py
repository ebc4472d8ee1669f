"""The fuzz targets: bytes in, the package's parser run, only its documented exceptions allowed."""

import io
import time
import warnings

#: A single input that takes more CPU seconds than this is a finding (a parser that spins on crafted input).
SLOW_SECONDS = 2.0
#: The pixel budget the image target runs under (small, so a fuzzed header cannot allocate much).
MAX_PIXELS = 1 << 20


class Finding(Exception):
    """What a target found: an undocumented exception, a slow input, or a broken guarantee."""


def image(data):
    """`decode_image`: raises only ValueErrors (`ImageTooLargeError`, `ImageHeaderError`,
    `UnreadableImageError`); when the guard passes a file, Pillow allocates no more pixels than it counted."""
    from PIL import Image

    from keras_animegan.utils.decoding import decode_image
    from keras_animegan.utils.image_size import check_image_size

    try:
        size = check_image_size(data, MAX_PIXELS)
    except ValueError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(data)) as opened:
                allocated = opened.size[0] * opened.size[1]
        except Exception:  # noqa: BLE001 - Pillow refusing it is decode_image's business, checked below
            allocated = 0
    if allocated > size.pixels:
        raise Finding(f"the guard counted {size.pixels} pixels; Pillow sets up {allocated}")
    try:
        decode_image(data, max_pixels=MAX_PIXELS)
    except ValueError:
        pass


def tags(data):
    """`decode_tags_bytes` + `parse_tags_text`: raise only `TagsFileError` (a ValueError)."""
    from keras_animegan.utils.tags import TagsFileError
    from keras_animegan.utils.tags import decode_tags_bytes
    from keras_animegan.utils.tags import parse_tags_text

    try:
        rows = parse_tags_text(decode_tags_bytes(data, "tags.csv"), "tags.csv")
    except TagsFileError:
        return
    if not all(isinstance(k, str) and isinstance(v, list) for k, v in rows.items()):
        raise Finding("parse_tags_text returned something else than {name: [tags]}")


def zip_reader(data):
    """`open_zip` + `read_member` of every member: raise only `ArchiveMemberError` / `MemberTooLargeError`."""
    from keras_animegan.utils.archives import ArchiveMemberError
    from keras_animegan.utils.archives import MemberTooLargeError
    from keras_animegan.utils.archives import open_zip
    from keras_animegan.utils.archives import read_member

    try:
        archive = open_zip(io.BytesIO(data))
    except ArchiveMemberError:
        return
    with archive:
        for info in archive.infolist()[:64]:
            try:
                read_member(archive, info, max_bytes=1 << 20)
            except (ArchiveMemberError, MemberTooLargeError):
                pass


TARGETS = {"image": image, "tags": tags, "zip": zip_reader}


def run_one(target, data):
    """Runs `target` on `data`; returns None, or a one-line description of a finding."""
    start = time.process_time()  # CPU time: a busy machine does not make an input look slow
    try:
        TARGETS[target](data)
    except Finding as finding:
        return str(finding)
    except MemoryError:
        return "MemoryError"
    except Exception as error:  # noqa: BLE001 - any undocumented exception is what the fuzzer looks for
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    seconds = time.process_time() - start
    if seconds > SLOW_SECONDS:
        return f"slow: {seconds:.1f} s on {len(data)} bytes"
    return None
