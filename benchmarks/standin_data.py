"""Rebuilds the stand-in image sets from their npm packages: the same seeds, names and splits.

    python -m benchmarks.standin_data --output DATA_DIR [--check REFERENCE_DIR]
    python -m benchmarks.standin_data --avatars_at 256 --output avatars256/   # the upscaler's training set

writes `anime-avatars-64.zip` (12,000 DiceBear 9.4.3 "adventurer" avatars, seeds `adventurer-0` ..
`adventurer-11999`, solid pastel backgrounds; files `adventurer_00000..11999.png`) and
`cartoon-faces-64.zip` (6,000 facesjs 5.0.3 faces, head crops on white; `facesjs_00000..05999.png`),
64x64 RGB PNG, flat; the avatars' zip also holds their `tags.csv` (Danbooru-style tags from the
options DiceBear picks per seed, `render.mjs tags`; the same rows as
`benchmarks/standin_data/anime_avatars_64_tags.csv`). Splits, by file number: avatars 0-9999 train, 10000-11999 test (10000-10999 is
the KID reference); faces 0-4999 train, 5000-5999 test. The package embeds avatars 0-1999 and faces
0-999.

It needs Node.js 18+ and npm (the packages, pinned in `benchmarks/standin_data/package.json`, come
from the npm registry; `@resvg/resvg-js` draws the SVGs). The avatars come out pixel for pixel as
the sets the presets were trained on (`--check` counts them). The faces are the same kind of image
from the same package, but facesjs draws with `Math.random`, and the original sets' random stream
is not recorded: ours is seeded per file (`facesjs-<n>`), so the faces are reproducible from here
on, but not the original ones.

Licences: the avatars' artwork is by Lisa Wischofsky, CC BY 4.0, via DiceBear; facesjs (Jeremy
Scheff) is Apache-2.0. `benchmarks.kid_protocol` builds the sets with this module when it does not
find them (so `benchmarks.train_presets` and `benchmarks.recipes` work from a clone).
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "standin_data")
#: Where the sets are built when no data folder is given (ignored by git).
DEFAULT_OUTPUT = os.path.join(SOURCE, "build")
SETS = {
    "anime-avatars-64.zip": ("avatars", "adventurer", 12000),
    "cartoon-faces-64.zip": ("faces", "facesjs", 6000),
}
_DATE = (2026, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same images give the same zip


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"error: rebuilding the stand-in sets needs `{name}` (Node.js 18+ and npm) on the PATH.")
    return path


def install(work_dir):
    """`npm install` of the pinned packages into `work_dir` (once); returns the folder with `render.mjs`."""
    target = os.path.join(work_dir, "npm")
    if not os.path.exists(os.path.join(target, "node_modules", "facesjs")):
        os.makedirs(target, exist_ok=True)
        for name in ("package.json", "render.mjs"):
            shutil.copy(os.path.join(SOURCE, name), target)
        subprocess.run([_tool("npm"), "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target,
                       check=True)
    shutil.copy(os.path.join(SOURCE, "render.mjs"), target)
    return target


def render(npm_dir, kind, first, last, out_dir, processes=2, size=64):
    """Renders files `first..last` of `kind` ("avatars" or "faces") into `out_dir`, in `processes` node processes,
    `size` pixels square (the same drawing at any size)."""
    node = _tool("node")
    bounds = [first + (last + 1 - first) * i // processes for i in range(processes + 1)]
    running = [subprocess.Popen([node, "render.mjs", kind, str(a), str(b - 1), out_dir, str(size)], cwd=npm_dir)
               for a, b in zip(bounds, bounds[1:]) if b > a]
    if any(p.wait() != 0 for p in running):
        raise SystemExit(f"error: node render.mjs {kind} failed (see above).")


def write_zip(folder, prefix, count, path, tags_csv=None):
    """The rendered PNGs, RGB, as a zip with fixed timestamps, in file-number order (and `tags.csv` when given)."""
    from PIL import Image

    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        if tags_csv is not None:
            with open(tags_csv, "rb") as f:
                archive.writestr(zipfile.ZipInfo("tags.csv", _DATE), f.read())
        for n in range(count):
            name = f"{prefix}_{n:05d}.png"
            buffer = io.BytesIO()
            Image.open(os.path.join(folder, name)).convert("RGB").save(buffer, "PNG", optimize=True)
            archive.writestr(zipfile.ZipInfo(name, _DATE), buffer.getvalue())
    os.replace(tmp, path)


def build(output, names=tuple(SETS), work_dir=None, count=None):
    """Writes the zips `names` (see SETS) into `output`; `count` limits each to its first files (tests)."""
    os.makedirs(output, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        npm_dir = install(work_dir or os.path.join(HERE, "standin_data", ".cache"))
        for name in names:
            kind, prefix, total = SETS[name]
            total = min(total, count) if count else total
            folder = os.path.join(tmp, kind)
            print(f"Rendering {total:,} {kind} ...", flush=True)
            render(npm_dir, kind, 0, total - 1, folder)
            tags_csv = None
            if kind == "avatars":  # DiceBear's options per seed, as Danbooru tags
                tags_csv = os.path.join(tmp, "tags.csv")
                subprocess.run([_tool("node"), "render.mjs", "tags", "0", str(total - 1), tags_csv], cwd=npm_dir,
                               check=True)
            write_zip(folder, prefix, total, os.path.join(output, name), tags_csv)
            print(f"  {os.path.join(output, name)}", flush=True)
    return output


def ensure(zip_name, data_dir):
    """The path of stand-in set `zip_name` in `data_dir`, else in DEFAULT_OUTPUT, built there when missing."""
    for folder in (data_dir, DEFAULT_OUTPUT):
        if folder and os.path.exists(os.path.join(folder, zip_name)):
            return os.path.join(folder, zip_name)
    print(f"{zip_name} is not in {data_dir}: rebuilding it from its npm package into {DEFAULT_OUTPUT}.")
    build(DEFAULT_OUTPUT, names=(zip_name,))
    return os.path.join(DEFAULT_OUTPUT, zip_name)


def avatar_folder(first, last, size, folder, work_dir=None):
    """A folder of the avatars `first..last` (`adventurer_<n>.png`) drawn at `size` px, rendered once (a
    `.complete` marker); returns it. The upscaler's high-resolution set: `--avatars_at 256` (train split
    0-9999) is what `upscaler_avatars_x4` trained on, and the test split 10000-11999 its benchmark's truth."""
    marker = os.path.join(folder, f".complete-{first}-{last}-{size}")
    if os.path.exists(marker):
        return folder
    npm_dir = install(work_dir or os.path.join(HERE, "standin_data", ".cache"))
    os.makedirs(folder, exist_ok=True)
    print(f"Rendering avatars {first}..{last} at {size} px into {folder} ...", flush=True)
    render(npm_dir, "avatars", first, last, folder, size=size)
    open(marker, "w").close()
    return folder


def compare(built, reference):
    """How many images of zip `built` have exactly the pixels of the same file in zip `reference`."""
    import numpy as np
    from PIL import Image

    same = total = 0
    with zipfile.ZipFile(built) as a, zipfile.ZipFile(reference) as b:
        names = set(b.namelist())
        for name in a.namelist():
            total += 1
            if name in names:
                x = np.asarray(Image.open(io.BytesIO(a.read(name))).convert("RGB"))
                y = np.asarray(Image.open(io.BytesIO(b.read(name))).convert("RGB"))
                same += int(x.shape == y.shape and (x == y).all())
    return same, total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help=f"Folder for the zips (default {DEFAULT_OUTPUT}).")
    parser.add_argument("--sets", default=",".join(SETS), help="Which zips, comma-separated.")
    parser.add_argument("--count", type=int, default=None, help="Only the first N files of each (a quick look).")
    parser.add_argument("--check", default=None, help="A folder with the original zips: count identical images.")
    parser.add_argument("--avatars_at", type=int, default=None, metavar="SIZE",
                        help="Instead of the zips: render avatars --first..--last at SIZE px into the folder --output "
                             "(256: the upscaler's training images).")
    parser.add_argument("--first", type=int, default=0, help="With --avatars_at: the first seed (default 0).")
    parser.add_argument("--last", type=int, default=9999, help="With --avatars_at: the last seed (default 9999, the "
                                                               "end of the train split).")
    args = parser.parse_args(argv)
    if args.avatars_at is not None:
        if not 8 <= args.avatars_at <= 4096 or not 0 <= args.first <= args.last:
            parser.error("--avatars_at takes a size from 8 to 4096 and 0 <= --first <= --last.")
        if args.output == DEFAULT_OUTPUT:
            parser.error("--avatars_at needs --output FOLDER (where the PNG files go).")
        avatar_folder(args.first, args.last, args.avatars_at, args.output)
        return 0
    names = [n for n in args.sets.split(",") if n]
    unknown = sorted(set(names) - set(SETS))
    if unknown:
        parser.error(f"--sets: unknown {unknown}; known: {', '.join(SETS)}")
    build(args.output, names, count=args.count)
    if args.check:
        for name in names:
            same, total = compare(os.path.join(args.output, name), os.path.join(args.check, name))
            print(f"{name}: {same:,} of {total:,} images identical to {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
