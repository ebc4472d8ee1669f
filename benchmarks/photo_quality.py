"""Photo -> anime quality: anime-ness (KID) and identity (face mesh) of translators on photo-like portraits.

    python -m benchmarks.photo_quality [--models preset:cartoongan_photo2anime run.keras ...]
                                       [--json benchmarks/results/photo_quality_2cpu.json]

Needs `../shared` (the project machines'): the 256 photo-like dev portraits
`photo-faces-dev-256.zip` (for measuring only: never trained on, never shipped), the avatar
test split and the VGG16 file. For each row, on every portrait:

- `kid`: the outputs resized to 64 px, in the KID protocol of `benchmarks/kid_protocol.py` (VGG16
  pooled features at 224 px, unbiased cubic-kernel MMD^2, 50 subsets) against the avatar test split;
- `identity_top1` / `identity_top5` / `face_found`: `benchmarks/photo_eval.py` (face mesh on photo
  and output at 256 px, orthogonal Procrustes distance, rank of the output's own photo);
- `seconds_per_photo`: CPU time of one 256 px photo (median of 20 after a warm-up) for the neural
  translators, on the machine's cores.

Rows: the untranslated photos, `cv2.stylization(img, sigma_s=60, sigma_r=0.45)`, the flat-colour
cartoon filter that `cartoongan_photo2anime` is trained toward (`keras_animegan.data.flat_cartoon`),
the CycleGAN preset, and each `--models` entry. A side-by-side grid of 16 portraits (photo,
cv2.stylization, the last model) goes to `--grid`.
"""

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import kid_protocol  # noqa: E402
from benchmarks import machine  # noqa: E402
from benchmarks import photo_eval  # noqa: E402

DEV_FACES = os.path.join(kid_protocol.DATA_DIR, "photo-faces-dev-256.zip")


def stylization(image):
    import cv2

    return cv2.stylization(image, sigma_s=60, sigma_r=0.45)


def translator(spec):
    """`preset:NAME`, a `.keras` file or an export -> (label, uint8 image -> uint8 image, the Generator)."""
    from keras_animegan.inference import Generator

    if spec.startswith("preset:"):
        generator = Generator(preset=spec[len("preset:"):])
    else:
        generator = Generator(path=spec)
    return spec, generator.translate_image, generator


def seconds_per_photo(fn, photo, repeats=20):
    fn(photo)  # warm-up (tracing)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(photo)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def evaluate(label, fn, photos, photo_points, protocol, timed=False):
    start = time.time()
    outputs = [np.asarray(fn(p), np.uint8) for p in photos]
    row = {"translator": label}
    row["kid"], row["kid_std"] = photo_eval.kid_of(protocol, outputs)
    row.update(photo_eval.identity_scores(photo_points, photo_eval.mesh_points(outputs)))
    if timed:
        row["seconds_per_photo"] = seconds_per_photo(fn, photos[0])
    print(f"[photo_quality] {label}: KID {row['kid']:.4f}, identity top-5 {row['identity_top5']:.3f}, "
          f"top-1 {row['identity_top1']:.3f}, face found {row['face_found']:.3f}"
          + (f", {row['seconds_per_photo']:.3f} s/photo" if timed else "")
          + f" ({time.time() - start:.0f} s)", flush=True)
    return row, outputs


def side_by_side(columns, count=16, size=128):
    """Rows of (photo, baseline, ours, ...) tiles for the first `count` portraits, as one uint8 image."""
    import cv2

    rows = []
    for i in range(count):
        tiles = [cv2.resize(column[i], (size, size), interpolation=cv2.INTER_AREA) for column in columns]
        rows.append(np.concatenate(tiles, axis=1))
    half = (count + 1) // 2
    left, right = np.concatenate(rows[:half], axis=0), np.concatenate(rows[half:], axis=0)
    gap = np.full((left.shape[0], 8, 3), 255, np.uint8)
    return np.concatenate([left, gap, right], axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", default=DEV_FACES, help="A zip of portraits (default: the 256 dev faces).")
    parser.add_argument("--models", nargs="*", default=["preset:cartoongan_photo2anime"],
                        help="Translators: preset:NAME, .keras files or SavedModel exports.")
    parser.add_argument("--skip_baselines", action="store_true")
    parser.add_argument("--work_dir", default=None, help="Cached avatar features (default: a temp dir).")
    parser.add_argument("--json", default=None)
    parser.add_argument("--grid", default=None, help="PNG of photo | cv2.stylization | the last model.")
    args = parser.parse_args(argv)

    if not os.path.exists(args.faces):
        raise SystemExit(f"error: {args.faces} not found (the photo-like dev portraits; see --faces).")
    from keras_animegan.data import flat_cartoon

    work_dir = args.work_dir or tempfile.mkdtemp(prefix="photo_quality_")
    protocol = kid_protocol.KIDProtocol(work_dir)
    photos = photo_eval.read_zip_images(args.faces, size=photo_eval.MESH_SIZE)
    photo_points = photo_eval.mesh_points(photos)
    rows, outputs = [], {}
    baselines = [] if args.skip_baselines else [
        ("photos (untranslated)", lambda p: p, False), ("cv2.stylization(60, 0.45)", stylization, False),
        ("flat_cartoon filter (the training target)", flat_cartoon, False),
        ("preset:cyclegan_faces2avatars_64", translator("preset:cyclegan_faces2avatars_64")[1], True)]
    for label, fn, timed in baselines:
        row, outputs[label] = evaluate(label, fn, photos, photo_points, protocol, timed)
        rows.append(row)
    for spec in args.models:
        label, fn, _ = translator(spec)
        row, outputs[label] = evaluate(label, fn, photos, photo_points, protocol, timed=True)
        rows.append(row)
    if args.grid and args.models and not args.skip_baselines:
        from PIL import Image

        grid = side_by_side([photos, outputs["cv2.stylization(60, 0.45)"], outputs[args.models[-1]]])
        Image.fromarray(grid).save(args.grid)
        print(f"[photo_quality] grid: {args.grid}")
    result = {"faces": os.path.basename(args.faces), "num_faces": len(photos),
              "photos_with_face": rows[0]["photos_with_face"] if rows else None,
              "kid_protocol": "outputs at 64 px; VGG16 pooled, 224 px, torchvision normalisation; cubic kernel, "
                              "50 subsets; against adventurer_10000..10999",
              "machine": machine.describe(extra="no GPU, fp32"), "rows": rows}
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
