"""The folder side of `translate` and `upscale`: which images a folder holds, and where each one's result goes."""

import os
import sys

from keras_animegan.commands import UserError
from keras_animegan.commands._output import folder_name
from keras_animegan.commands._output import progress
from keras_animegan.commands._output import save
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS
from keras_animegan.utils.decoding import is_image_name
from keras_animegan.utils.decoding import read_image_file


def _output_name(relative):
    return os.path.splitext(relative)[0] + ".png"


def output_names(names):
    """`{input name: output .png name}` for a folder, one output per input.

    `dup.jpg` and `dup.png` would both write `dup.png`: when inputs share a
    stem (case-insensitively, as some file systems compare names), each of
    them keeps its extension (`dup.jpg.png`, `dup.png.png`), so no output is
    written over another.
    """
    plain = {name: _output_name(name) for name in names}
    counts = {}
    for out in plain.values():
        counts[out.lower()] = counts.get(out.lower(), 0) + 1
    outputs, taken = {}, set()
    for name in names:
        out = plain[name] if counts[plain[name].lower()] == 1 else name + ".png"
        stem, n = out[:-4], 1
        while out.lower() in taken:  # `a.jpg.png` as an input too: number what is left
            n += 1
            out = f"{stem}-{n}.png"
        taken.add(out.lower())
        outputs[name] = out
    return outputs


def output_file(source, output):
    """Where one INPUT file's result goes: OUTPUT if it names an image file, else `<OUTPUT>/<stem>.png`."""
    if os.path.isdir(output) or not output.lower().endswith(IMAGE_EXTENSIONS):
        return os.path.join(output, _output_name(os.path.basename(source)))
    return output


def image_names(source):
    """The images of the folder `source` (searched recursively), relative to it, sorted; an error when none."""
    names = sorted(
        os.path.relpath(os.path.join(root, f), source)
        for root, _, files in os.walk(source) for f in files if is_image_name(f)
    )
    if not names:
        raise UserError(f"INPUT {source!r} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
    return names


def map_folder(source, output, fn, max_pixels, desc, report=None):
    """Each image of the folder `source` (searched recursively) through `fn` (uint8 in, uint8 out) into `output`,
    one PNG per input named after it; unreadable or too large files are skipped and named. `report()` adds to
    the last line. Returns the exit status."""
    names = image_names(source)
    outputs = output_names(names)
    skipped, written = [], 0
    for name in progress(names, desc=desc):
        path = os.path.join(source, name)
        try:
            image = read_image_file(path, max_pixels)
        except Exception as error:  # noqa: BLE001 - a bad file is skipped and named; the others go on
            print(f"warning: skipping {path}: {error}", file=sys.stderr)
            skipped.append(name)
            continue
        save(fn(image), os.path.join(output, outputs[name]))
        written += 1
    renamed = sum(outputs[n] != _output_name(n) for n in names if n not in skipped)
    print(f"Wrote {written} images to {folder_name(output)}; skipped {len(skipped)} unreadable or too large file(s)"
          + (f"; {renamed} named after their full input name (inputs that share a name)" if renamed else "")
          + f"{report() if report else ''}.")
    return 0
