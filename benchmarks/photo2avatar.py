"""Photo -> avatar: does the avatar show the person's attributes? The `photo2avatar_64` pipeline on face photos.

    python -m benchmarks.photo2avatar                       # the 256 dev faces (../shared/data)
    python -m benchmarks.photo2avatar --photos DIR_OR_ZIP --labels FILE.csv

On each photo: the face mesh, the readers, the tags, the avatar (the photo's own seed). Measured:

1. The readers against hand labels (`benchmarks/photo2avatar_dev_labels.csv`: glasses, long hair,
   facial hair, smile, labelled by eye; measured, never fitted to): ROC AUC of each reading and the
   balanced accuracy of the preset's threshold.
2. Colour agreement: Pearson r between the photo's skin (hair) lightness, CIELAB L* in the readers'
   face-mesh regions, and the avatar's, in the avatar's skin (hair) pixels. The avatar regions are
   the pixels whose lightness the skin (hair colour) tag explains (R^2 > 0.8 for skin, > 0.5 for
   hair) over the first 3,000 training avatars: every avatar has the same head in the same place.
3. Attribute retrieval: for each avatar, are its own photo among the 5 photos nearest by (skin L*,
   hair L*), each z-scored over the set?
4. Glasses and hair-length agreement: the balanced accuracy of the hand labels against what the
   tag reader of `benchmarks.tag_accuracy` (a CNN trained on the training avatars) sees in the avatars.
   "Readable": the share of avatars in which that reader sees the skin and hair colour asked for.
5. KID (the project's protocol, subsets of min(500, n)) of the avatars against the avatar test split.
6. CPU latency per photo: face mesh + readers + generator, one photo at a time, after one warm-up.

7. The line-up (recorded by hand in the JSON's `lineup`): a person who saw the photo picks its
   avatar out of five in the line-up grid, before reading the key.

The photos stay outside the repository (the dev set's terms: measure only, never ship); the grid of
16 photo | avatar pairs and the line-up grid are written to `--work_dir`. Results:
`benchmarks/results/photo2avatar.json`.
"""

import argparse
import csv
import json
import os
import sys
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import kid_protocol  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
DEV_PHOTOS = os.path.join(kid_protocol.DATA_DIR, "photo-faces-dev-256.zip")
DEV_LABELS = os.path.join(HERE, "photo2avatar_dev_labels.csv")
LABELS = ("glasses", "long_hair", "facial_hair", "smile")
#: The calibration setting each hand label's reading is thresholded by.
THRESHOLDS = {"glasses": "glasses_edge", "long_hair": "long_hair_share", "facial_hair": "facial_hair_darker",
              "smile": "smile_width"}


def load_photos(path):
    """`[(name, uint8 RGB)]` from a folder or a zip of images, in name order."""
    from keras_animegan.utils.decoding import decode_image as decode_image_bytes
    from keras_animegan.utils.decoding import is_image_name

    out = []
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in sorted(n for n in archive.namelist() if is_image_name(n)):
                out.append((os.path.basename(name), decode_image_bytes(archive.read(name))))
    else:
        for name in sorted(f for f in os.listdir(path) if is_image_name(f)):
            with open(os.path.join(path, name), "rb") as f:
                out.append((name, decode_image_bytes(f.read())))
    return out


def load_labels(path):
    with open(path, newline="") as f:
        return {row["file"]: {k: int(row[k]) for k in LABELS} for row in csv.DictReader(f)}


def auc(scores, labels):
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels, bool)
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()
    return float(greater / (len(pos) * len(neg)))


def balanced_accuracy(predicted, labels):
    predicted, labels = np.asarray(predicted, bool), np.asarray(labels, bool)
    if labels.all() or not labels.any():
        return None
    return float((predicted[labels].mean() + (~predicted[~labels]).mean()) / 2)


def lightness(images):
    """CIELAB L* per pixel of uint8 RGB images (n, H, W, 3)."""
    import cv2

    return np.stack([cv2.cvtColor(np.asarray(im, np.float32) / 255.0, cv2.COLOR_RGB2LAB)[..., 0] for im in images])


def avatar_regions(work_dir, count=3000):
    """Boolean (64, 64) masks of the avatars' skin and hair pixels (see the module docstring)."""
    from benchmarks import tag_accuracy

    from keras_animegan.data import ImageSource
    from keras_animegan.utils.pixels import to_uint8

    folder = kid_protocol.split_folder("avatars_train", work_dir)
    rows = tag_accuracy.split_tags(list(ImageSource(folder).files)[:count])
    values = lightness(to_uint8(kid_protocol.load_images(folder, limit=count)))

    def explained(group_of_row):
        groups = np.asarray([group_of_row(r) for r in rows])
        within = np.zeros(values.shape[1:])
        for g in set(groups):
            members = groups == g
            within += members.mean() * values[members].var(axis=0)
        return 1.0 - within / (values.var(axis=0) + 1e-6)

    skin = explained(lambda r: next(t for t in r if t.endswith("_skin")))
    hair = explained(lambda r: next(t for t in r if t.endswith("_hair") and t not in ("long_hair", "short_hair")))
    return skin > 0.8, hair > 0.5


def retrieval_top5(photo_features, avatar_features):
    """Share of avatars whose own photo is among the 5 nearest photos (features z-scored per set)."""
    def z(x):
        x = np.asarray(x, np.float64)
        return (x - x.mean(0)) / np.maximum(x.std(0), 1e-9)

    p, a = z(photo_features), z(avatar_features)
    distances = ((a[:, None] - p[None]) ** 2).sum(-1)
    own = distances[np.arange(len(a)), np.arange(len(a))]
    rank = (distances < own[:, None]).sum(1)
    return float(np.mean(rank < 5))


def pairs_grid(photos, avatars, tags, path, count=16, size=128):
    from PIL import Image
    from PIL import ImageDraw

    step = max(1, len(photos) // count)
    picked = list(range(0, len(photos), step))[:count]
    cols = 4
    rows = (len(picked) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * 2 * size, rows * (size + 16)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, i in enumerate(picked):
        x, y = (k % cols) * 2 * size, (k // cols) * (size + 16)
        sheet.paste(Image.fromarray(photos[i]).resize((size, size)), (x, y))
        sheet.paste(Image.fromarray(avatars[i]).resize((size, size), Image.LANCZOS), (x + size, y))
        draw.text((x + 2, y + size + 2), " ".join(t.replace("_hair", "").replace("_skin", "") for t in tags[i])[:42],
                  fill="black")
    sheet.save(path)


def lineup_grid(photos, avatars, path, count=20, seed=7, size=96):
    """`count` line-ups: a photo, then five avatars (its own at a random place); returns the answer key."""
    from PIL import Image
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(photos), size=min(count, len(photos)), replace=False)
    sheet = Image.new("RGB", (6 * size + 20, len(chosen) * (size + 4)), "white")
    draw = ImageDraw.Draw(sheet)
    key = []
    for row, i in enumerate(chosen):
        others = rng.choice([j for j in range(len(photos)) if j != i], size=4, replace=False)
        place = int(rng.integers(5))
        lineup = list(others[:place]) + [i] + list(others[place:])
        y = row * (size + 4)
        sheet.paste(Image.fromarray(photos[i]).resize((size, size)), (0, y))
        for k, j in enumerate(lineup):
            sheet.paste(Image.fromarray(avatars[j]).resize((size, size), Image.LANCZOS), (20 + (k + 1) * size, y))
            draw.text((22 + (k + 1) * size, y + 2), str(k + 1), fill="black")
        draw.text((2, y + 2), str(row), fill="yellow")
        key.append(place + 1)
    sheet.save(path)
    return key


def run_pipeline(pipeline, photos):
    """Each photo through the pipeline: the names, images, readings, avatars and tags of those with a face,
    the seconds each took, and the names without one."""
    from keras_animegan.photo2avatar import NoFaceError

    pipeline(photos[0][1])  # warm-up: the interpreters and the generator's first call
    found = {key: [] for key in ("names", "images", "readings", "avatars", "tags", "seconds")}
    no_face = []
    for name, image in photos:
        start = time.perf_counter()
        try:
            reading = pipeline.read(image)
        except NoFaceError:
            no_face.append(name)
            continue
        avatar, _, _ = pipeline.render(reading)
        found["seconds"].append(time.perf_counter() - start)
        for key, value in (("names", name), ("images", image), ("readings", reading), ("avatars", avatar),
                           ("tags", reading.tags)):
            found[key].append(value)
    found["avatars"] = np.stack(found["avatars"])
    return found, no_face


def reader_scores(found, labels, labelled, settings):
    """Each photo reader's AUC and balanced accuracy against the hand labels."""
    readers = {}
    for label in LABELS if labelled else ():
        truth = [labels[found["names"][i]][label] for i in labelled]
        score = [getattr(found["readings"][i].measurements, label) for i in labelled]
        predicted = [s >= settings[THRESHOLDS[label]] for s in score]
        readers[label] = {"positives": int(sum(truth)), "auc": auc(score, truth),
                          "balanced_accuracy": balanced_accuracy(predicted, truth),
                          "threshold": settings[THRESHOLDS[label]]}
    return readers


def colour_scores(found, work_dir):
    """How the avatars' skin and hair lightness follow the photos'."""
    skin_mask, hair_mask = avatar_regions(work_dir)
    values = lightness(found["avatars"])
    avatar_skin = np.array([np.median(v[skin_mask]) for v in values])
    avatar_hair = np.array([np.median(v[hair_mask]) for v in values])
    photo_skin = np.array([r.measurements.skin_lab[0] for r in found["readings"]])
    photo_hair = np.array([r.measurements.hair_lab[0] for r in found["readings"]])
    return {"skin_r": float(np.corrcoef(photo_skin, avatar_skin)[0, 1]),
            "hair_r": float(np.corrcoef(photo_hair, avatar_hair)[0, 1]),
            "top5": retrieval_top5(np.stack([photo_skin, photo_hair], 1), np.stack([avatar_skin, avatar_hair], 1)),
            "top5_chance": 5 / len(found["names"])}


def avatar_readings(pipeline, found, labels, labelled, work_dir):
    """What the avatar tag reader sees in the avatars (`readable`), and how the avatars agree with the hand
    labels (`agreement`: glasses, long hair, and the expression through the smile reader)."""
    from benchmarks import tag_accuracy

    avatars, names = found["avatars"], found["names"]
    network, vocabulary, _ = tag_accuracy.trained_reader(work_dir)
    seen = tag_accuracy.read(network, vocabulary, avatars.astype(np.float32) / 127.5 - 1.0)
    asked = [{"skin": next(t for t in ts if t.endswith("_skin")),
              "hair_color": next(t for t in ts if t.endswith("_hair") and t not in ("long_hair", "short_hair"))}
             for ts in found["tags"]]
    readable = {group: float(np.mean([s[group] == a[group] for s, a in zip(seen, asked)]))
                for group in ("skin", "hair_color")}
    agreement = {}
    for label in ("glasses", "long_hair") if labelled else ():
        truth = [labels[names[i]][label] for i in labelled]
        shown = [seen[i]["hair_length"] == "long_hair" if label == "long_hair" else bool(seen[i][label])
                 for i in labelled]
        agreement[label] = balanced_accuracy(shown, truth)
    if labelled and pipeline.smile_reader is not None:  # the expression: the hand label against the avatar's mouth
        logits = np.asarray(pipeline.smile_reader.predict(avatars.astype(np.float32) / 127.5 - 1.0, verbose=0))[:, 0]
        agreement["smile"] = balanced_accuracy([logits[i] > 0 for i in labelled],
                                               [labels[names[i]]["smile"] for i in labelled])
    return readable, agreement


def write_grids(found, work_dir, lineup_seed):
    os.makedirs(work_dir, exist_ok=True)
    images, avatars = found["images"], found["avatars"]
    pairs_grid(images, avatars, found["tags"], os.path.join(work_dir, "photo2avatar_pairs.png"))
    np.savez_compressed(os.path.join(work_dir, "photo2avatar_avatars.npz"), avatars=avatars,
                        names=np.array(found["names"]))
    key = lineup_grid(images, avatars, os.path.join(work_dir, "photo2avatar_lineup.png"), seed=lineup_seed)
    with open(os.path.join(work_dir, "photo2avatar_lineup_key.json"), "w") as f:
        json.dump(key, f)


def evaluate(preset, photos_path, labels_path, work_dir, with_kid=True, lineup_seed=7):
    from keras_animegan.photo2avatar import Photo2Avatar

    pipeline = Photo2Avatar.from_preset(preset)
    photos = load_photos(photos_path)
    labels = load_labels(labels_path) if labels_path and os.path.exists(labels_path) else {}
    found, no_face = run_pipeline(pipeline, photos)
    settings = pipeline.calibration.settings
    labelled = [i for i, n in enumerate(found["names"]) if n in labels]
    readable, agreement = avatar_readings(pipeline, found, labels, labelled, work_dir)
    kid = None
    if with_kid:
        from benchmarks import photo_eval

        kid = photo_eval.kid_of(kid_protocol.KIDProtocol(work_dir), found["avatars"])
    write_grids(found, work_dir, lineup_seed)
    counts = {}
    for ts in found["tags"]:
        for t in ts:
            counts[t] = counts.get(t, 0) + 1
    seconds = found["seconds"]
    return {
        "photos": len(photos), "faces_found": len(found["names"]), "no_face": no_face,
        "readers": reader_scores(found, labels, labelled, settings), "colour": colour_scores(found, work_dir),
        "readable": readable, "agreement": agreement,
        "kid": None if kid is None else list(map(float, kid)),
        "seconds_per_photo": {"median": float(np.median(seconds)), "p90": float(np.percentile(seconds, 90))},
        "tag_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
        "reader_settings": settings,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="photo2avatar_64")
    parser.add_argument("--photos", default=DEV_PHOTOS, help="A folder or zip of face photos.")
    parser.add_argument("--labels", default=DEV_LABELS, help="Hand labels (file,glasses,long_hair,facial_hair,smile).")
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "qwork"))
    parser.add_argument("--json", default=os.path.join(RESULTS, "photo2avatar.json"))
    parser.add_argument("--no_kid", action="store_true")
    parser.add_argument("--lineup_seed", type=int, default=7,
                        help="Which photos and places the line-up grid uses (a fresh one for a fresh look).")
    args = parser.parse_args(argv)
    if not os.path.exists(args.photos):
        raise SystemExit(f"error: --photos {args.photos!r}: no such folder or zip.")
    import keras_animegan  # noqa: F401  (before TensorFlow: oneDNN)

    out = evaluate(args.preset, args.photos, args.labels, args.work_dir, with_kid=not args.no_kid,
                   lineup_seed=args.lineup_seed)
    out.update(preset=args.preset, photo_set=os.path.basename(args.photos.rstrip("/")),
               machine=machine_line())
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    if os.path.exists(args.json):  # the line-up is a person's picks, recorded by hand: kept across reruns
        with open(args.json) as f:
            earlier = json.load(f)
        if "lineup" in earlier:
            out["lineup"] = earlier["lineup"]
    with open(args.json, "w") as f:
        json.dump(out, f, indent=2)
    from benchmarks import report

    print(report.photo2avatar_table(out))
    print(f"wrote {args.json}; grids in {args.work_dir}")
    return 0


def machine_line():
    from benchmarks import machine

    return machine.describe(extra="fp32, one photo at a time")


if __name__ == "__main__":
    sys.exit(main())
