"""The README's pictures of `cartoongan_photo2anime`, from public-domain and CC0 photos only.

    python -m benchmarks.photo2anime_images [--output docs/images]

- `photo2anime_astronaut.png`: NASA's portrait of Eileen Collins (scikit-image's astronaut, public
  domain), 384 px, beside its translation;
- `photo2anime_scenes.png`: scikit-image's coffee (CC0), chelsea (CC0) and rocket (public domain)
  photos, each above its translation, at their own sizes scaled to 256 px high.
"""

import argparse
import os
import sys

import numpy as np


def translate_row(generator, photos, height):
    import cv2

    tops, bottoms = [], []
    for photo in photos:
        width = round(photo.shape[1] * height / photo.shape[0]) // 4 * 4
        photo = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
        tops.append(photo)
        bottoms.append(generator.translate_image(photo))
    gap = np.full((height, 4, 3), 255, np.uint8)
    join = (lambda images: np.concatenate(sum(([im, gap] for im in images), [])[:-1], axis=1))
    return np.concatenate([join(tops), np.full((4, join(tops).shape[1], 3), 255, np.uint8), join(bottoms)], axis=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                         "docs", "images"))
    parser.add_argument("--preset", default="cartoongan_photo2anime")
    args = parser.parse_args(argv)

    import cv2
    import skimage.data
    from PIL import Image

    from keras_animegan.inference import Generator

    generator = Generator(preset=args.preset)
    astronaut = cv2.resize(skimage.data.astronaut(), (384, 384), interpolation=cv2.INTER_AREA)
    pair = np.concatenate([astronaut, np.full((384, 4, 3), 255, np.uint8), generator.translate_image(astronaut)], 1)
    Image.fromarray(pair).save(os.path.join(args.output, "photo2anime_astronaut.png"), optimize=True)
    scenes = translate_row(generator, [skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket()], 256)
    Image.fromarray(scenes).save(os.path.join(args.output, "photo2anime_scenes.png"), optimize=True)
    print(f"[photo2anime_images] wrote photo2anime_astronaut.png and photo2anime_scenes.png to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
