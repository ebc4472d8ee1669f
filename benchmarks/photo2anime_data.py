"""The training photos of the `cartoongan_photo2anime` preset: licensed photos and pseudo-photos, as 128 px crops.

    python -m benchmarks.photo2anime_data --output ../qwork/data/photo2anime_photos

No face-photo set whose licence lets an Apache-2.0 project train on it and ship the weights can be had
from the package registries. The translator learns local operations (flatten, quantize, outline,
tone), so its photo side need not be faces:

- public-domain and CC0 colour photos shipped inside scikit-image's wheel (`PHOTOS`), random crops at
  several scales;
- pseudo-photos: the avatar and cartoon-face training splits (`adventurer_00000..09999`,
  `facesjs_00000..04999`; never the test splits), upscaled to portrait size and given photographic
  degradations (optical blur, a lighting gradient, colour cast, sensor noise, JPEG), so the training
  inputs hold face-like shapes: eyes, hair borders, skin of many tones.

Writes `<output>/*.jpg` and `<output>/SOURCES.md` (every source, count and licence).
"""

import argparse
import io
import os
import sys
import zipfile

import numpy as np

from benchmarks import kid_protocol

CROP = 128
# scikit-image data file -> (what, licence as scikit-image's `skimage.data` documents it).
PHOTOS = {
    "astronaut.png": ("Eileen Collins, NASA portrait", "public domain (NASA)"),
    "coffee.png": ("a cup of coffee, Pikolo Espresso Bar", "CC0 (photographer Rachel Michetti)"),
    "chelsea.png": ("Chelsea the cat", "CC0 (photographer Stefan van der Walt)"),
    "rocket.jpg": ("Falcon 9 launch, SpaceX", "public domain (SpaceX)"),
}


def skimage_photo(name):
    import skimage
    from PIL import Image

    path = os.path.join(os.path.dirname(skimage.__file__), "data", name)
    return np.asarray(Image.open(path).convert("RGB"))


def random_crops(image, count, rng, scales=(0.5, 0.75, 1.0)):
    """`count` CROP x CROP crops of `image` at random scales (the image resized by each scale first)."""
    import cv2

    crops = []
    for i in range(count):
        scale = scales[i % len(scales)]
        h, w = image.shape[:2]
        size = (max(CROP, int(w * scale)), max(CROP, int(h * scale)))
        resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        y = rng.integers(0, resized.shape[0] - CROP + 1)
        x = rng.integers(0, resized.shape[1] - CROP + 1)
        crops.append(resized[y:y + CROP, x:x + CROP])
    return crops


def pseudo_photo(image, rng):
    """A 64 px drawing -> a CROP px "photo": upscaled, blurred, lit from one side, tinted, noisy."""
    import cv2

    size = int(rng.choice([CROP, 2 * CROP]))  # the whole face, or half of it at portrait scale
    x = cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.8, 2.5)))
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 + rng.uniform(0.1, 0.35) * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))
    x = x * light[..., None] * rng.uniform(0.85, 1.1, size=3)[None, None, :]
    x = x + rng.normal(0, rng.uniform(2, 8), x.shape)
    x = np.clip(x, 0, 255).astype(np.uint8)
    if size > CROP:
        y0, x0 = rng.integers(0, size - CROP + 1, size=2)
        x = x[y0:y0 + CROP, x0:x0 + CROP]
    return x


def drawings(zip_path, first, last, count, rng):
    names = []
    with zipfile.ZipFile(zip_path) as archive:
        for member in sorted(archive.namelist()):
            digits = os.path.splitext(os.path.basename(member))[0].rsplit("_", 1)[-1]
            if digits.isdigit() and first <= int(digits) <= last:
                names.append(member)
        from PIL import Image

        for member in rng.choice(names, count, replace=False):
            yield member, np.asarray(Image.open(io.BytesIO(archive.read(member))).convert("RGB"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True)
    parser.add_argument("--data_dir", default=kid_protocol.DATA_DIR)
    parser.add_argument("--crops_per_photo", type=int, default=400)
    parser.add_argument("--avatars", type=int, default=2500)
    parser.add_argument("--faces", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from PIL import Image

    rng = np.random.default_rng(args.seed)
    os.makedirs(args.output, exist_ok=True)
    counts = {}

    def save(image, name, quality):
        Image.fromarray(image).save(os.path.join(args.output, name), quality=int(quality))

    for photo, (what, licence) in PHOTOS.items():
        stem = os.path.splitext(photo)[0]
        for i, crop in enumerate(random_crops(skimage_photo(photo), args.crops_per_photo, rng)):
            save(crop, f"photo_{stem}_{i:04d}.jpg", 95)
        counts[photo] = args.crops_per_photo
    for zip_name, (first, last), count, prefix in (
            (kid_protocol.AVATARS, (0, 9999), args.avatars, "avatar"),
            (kid_protocol.FACES, (0, 4999), args.faces, "face")):
        for member, image in drawings(os.path.join(args.data_dir, zip_name), first, last, count, rng):
            stem = os.path.splitext(os.path.basename(member))[0]
            save(pseudo_photo(image, rng), f"pseudo_{stem}.jpg", rng.integers(60, 96))
        counts[zip_name] = count

    lines = ["# Training photos of cartoongan_photo2anime", "",
             f"{sum(counts.values()):,} JPEG crops of {CROP} px, made by `python -m benchmarks.photo2anime_data`.", "",
             "| source | crops | licence |", "| --- | --- | --- |"]
    for photo, (what, licence) in PHOTOS.items():
        lines.append(f"| scikit-image `data/{photo}`: {what} | {counts[photo]} | {licence} |")
    lines.append(f"| pseudo-photos of the avatar train split (`adventurer_00000..09999`) | {counts[kid_protocol.AVATARS]} "
                 "| CC BY 4.0, artwork by Lisa Wischofsky, via DiceBear |")
    lines.append(f"| pseudo-photos of the cartoon-face train split (`facesjs_00000..04999`) | {counts[kid_protocol.FACES]} "
                 "| Apache-2.0, facesjs by Jeremy Scheff |")
    with open(os.path.join(args.output, "SOURCES.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"[photo2anime_data] {sum(counts.values())} images in {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
