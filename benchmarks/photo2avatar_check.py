"""Broken avatars: the `photo2avatar_64` pipeline with its avatar check, against the same pipeline drawing each
photo's own seed as it comes (before the check).

    python -m benchmarks.photo2avatar_check                        # the dev faces and two public-domain photos
    python -m benchmarks.photo2avatar_check --photos DIR_OR_ZIP    # other photos

1. Grids for counting by eye, written to `--work_dir` (never to the repository: the dev faces are for
   measuring only): 32 dev faces (every 8th), and each public-domain photo (matplotlib's
   `grace_hopper.jpg`, scikit-image's `astronaut`) with 16 seeds; each photo above its avatar before and
   after. The counts of avatars a person would call broken (a bald head where hair was read, a smear for
   glasses or a mustache, a face that is not whole) are recorded by hand in the JSON's `by_eye`.
2. Over every photo with a face: how often the check draws another seed than the photo's own, how often no
   candidate shows all that was wanted, and what the avatar reader sees in the avatars drawn before and
   after (bald heads, dark lenses where clear ones were wanted, a smile other than the photo's).
3. CPU seconds per photo (face mesh, readers, generator, check), one photo at a time, after a warm-up.

Results: `benchmarks/results/photo2avatar_check.json`.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import machine  # noqa: E402
from benchmarks.photo2avatar import load_photos  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEV_FACES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data", "photo-faces-dev-256.zip")
SEEDS = 16


def public_domain_photos():
    """`[(name, uint8 RGB)]`: matplotlib's Grace Hopper portrait and scikit-image's astronaut (both public domain)."""
    import matplotlib
    import skimage.data
    from PIL import Image

    path = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "sample_data", "grace_hopper.jpg")
    with Image.open(path) as image:
        grace = np.asarray(image.convert("RGB"))
    return [("grace_hopper", grace), ("astronaut", skimage.data.astronaut())]


def pipelines():
    """The preset's pipeline (`after`) and the same generator and readers drawing the own seed (`before`)."""
    from keras_animegan.photo2avatar import Photo2Avatar

    after = Photo2Avatar.from_preset("photo2avatar_64")
    before = Photo2Avatar(after.generator, after.calibration.get_config(), face_mesh=after.face_mesh,
                          avatar_reader=None, match_smile=False)
    return before, after


def sheet(columns, path, size=96, per_row=8):
    """Rows of (photo, avatar before, avatar after, label) cells, the photo on top."""
    from PIL import Image
    from PIL import ImageDraw

    rows = (len(columns) + per_row - 1) // per_row
    height = 3 * size + 14
    canvas = Image.new("RGB", (per_row * size, rows * height), "white")
    draw = ImageDraw.Draw(canvas)
    for k, (photo, old, new, label) in enumerate(columns):
        x, y = (k % per_row) * size, (k // per_row) * height
        canvas.paste(Image.fromarray(photo).resize((size, size)), (x, y))
        canvas.paste(Image.fromarray(old).resize((size, size), Image.LANCZOS), (x, y + size))
        canvas.paste(Image.fromarray(new).resize((size, size), Image.LANCZOS), (x, y + 2 * size))
        draw.text((x + 2, y + 3 * size + 1), f"{k} {label}"[:17], fill="black")
    canvas.save(path)


def short(tags):
    return " ".join(t.replace("_hair", "").replace("_skin", "")[:5] for t in tags)


def measure(before, after, photos, seeds=(None,)):
    """Each photo with a face, drawn before and after: the cells for the grid and one record per avatar."""
    from keras_animegan.photo2avatar import NoFaceError
    from keras_animegan.photo2avatar import expression

    cells, records, seconds = [], [], []
    for name, image in photos:
        start = time.perf_counter()
        try:
            reading = after.read(image)
        except NoFaceError:
            records.append({"name": name, "face": False})
            continue
        # The same face mesh and readers: only the tags left out differ (before leaves none out).
        old_reading = dataclasses.replace(reading, tags=before.tags_of(reading.measurements)[0], left_out=[])
        dark_lenses = after.calibration.flags(reading.measurements)["dark_glasses"]
        for seed in seeds:
            new, tags, smile, choice = after.render_choice(reading, seed)
            if seed == seeds[0]:
                seconds.append(time.perf_counter() - start)  # one photo: read, drawn and checked
            old, old_tags, _ = before.render(old_reading, seed)
            read_old = {k: float(v[0]) for k, v in expression.read_avatars(after.avatar_reader, old[None]).items()}
            records.append({"name": name if seed is None else f"{name}:{seed}", "face": True,
                            "tags_before": old_tags, "tags": tags, "left_out": reading.left_out,
                            "photo_smiles": reading.smile, "lenses": reading.measurements.lenses,
                            "dark_lenses": dark_lenses,
                            "index": choice.index, "tried": choice.tried, "passed": choice.passed,
                            "glasses_weight": choice.glasses_weight, "read_after": choice.readings,
                            "read_before": read_old})
            label = (short(tags) if seed is None else f"seed {seed}") + ("" if choice.passed else " !")
            cells.append((image, old, new, label))
    return cells, records, seconds


def summary(records):
    drawn = [r for r in records if r["face"]]

    def share(values):
        values = list(values)
        return float(np.mean(values)) if values else None

    def seen(r, key, name):
        return r[key][name] > 0.5

    glasses_clear = [r for r in drawn if "glasses" in r["tags"] and not r["dark_lenses"]]
    return {
        "avatars": len(drawn), "no_face": len(records) - len(drawn),
        "another_seed": share(r["index"] > 0 for r in drawn),
        "none_passed": share(not r["passed"] for r in drawn),
        "bald_before": share(seen(r, "read_before", "bald") for r in drawn),
        "bald_after": share(seen(r, "read_after", "bald") for r in drawn),
        "dark_lenses_for_clear_glasses_before": share(seen(r, "read_before", "dark_glasses") for r in glasses_clear),
        "dark_lenses_for_clear_glasses_after": share(seen(r, "read_after", "dark_glasses") for r in glasses_clear),
        "glasses_read": len(glasses_clear),
        "smile_as_photo_before": share(seen(r, "read_before", "smile") == r["photo_smiles"] for r in drawn),
        "smile_as_photo_after": share(seen(r, "read_after", "smile") == r["photo_smiles"] for r in drawn),
        "mustache_left_out": sum("mustache" in r["left_out"] for r in drawn),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", default=DEV_FACES, help="a folder or zip of face photos (default: the dev faces)")
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "qwork",
                                                           "photo2avatar_check"))
    parser.add_argument("--json", default=os.path.join(HERE, "results", "photo2avatar_check.json"))
    parser.add_argument("--by_eye", default=None, help="a JSON file of the counts made by eye on the grids")
    args = parser.parse_args(argv)
    import keras_animegan  # noqa: F401

    os.makedirs(args.work_dir, exist_ok=True)
    before, after = pipelines()
    photos = load_photos(args.photos)
    after(photos[0][1])  # warm-up
    before(photos[0][1])
    cells, records, seconds = measure(before, after, photos)
    picked = [cells[i] for i in range(0, len(cells), max(1, len(cells) // 32))][:32]
    sheet(picked, os.path.join(args.work_dir, "photos_32.png"))
    public_cells, public_records = [], []
    for name, image in public_domain_photos():
        more, recs, _ = measure(before, after, [(name, image)], seeds=[None] + list(range(1, SEEDS)))
        public_cells += more
        public_records += recs
        sheet(more, os.path.join(args.work_dir, f"{name}_16.png"))
    result = {"what": "photo2avatar_64 with its avatar check (after) against drawing the photo's own seed (before)",
              "photos": os.path.basename(args.photos), "machine": machine.describe(),
              "seconds_per_photo_median": float(np.median(seconds)) if seconds else None,
              "photos_summary": summary(records), "public_domain_summary": summary(public_records),
              "public_domain": [{k: r[k] for k in ("name", "tags", "index", "passed", "glasses_weight")}
                                for r in public_records if r["face"]],
              "grids": sorted(os.listdir(args.work_dir))}
    if args.by_eye:
        with open(args.by_eye) as f:
            result["by_eye"] = json.load(f)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "public_domain"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
