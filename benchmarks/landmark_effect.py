"""Does the landmark loss preserve facial features? CycleGAN with and without it, same data and seed.

Run by hand:  python -m benchmarks.landmark_effect [--steps 300] [--landmark_weight 4]
Trains the 64 px demo CycleGAN (embedded cartoon faces -> anime avatars) twice and reports the
A -> B -> A reconstruction error (mean |G_ba(G_ab(a)) - a| in [0, 255] units) inside the landmark
regions (eyes, brows, nose, mouth) and elsewhere, on 64 held-out faces, plus face-mesh throughput.
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from keras_animegan.data import ImageSource  # noqa: E402
from keras_animegan.data import embedded  # noqa: E402
from keras_animegan.landmarks import FaceMesh  # noqa: E402
from keras_animegan.landmarks import landmark_weight_map  # noqa: E402
from keras_animegan.utils.pixels import to_unit_range  # noqa: E402
from keras_animegan.train import cyclegan  # noqa: E402
from benchmarks.table import markdown_table


def evaluation_set(count=64, size=64):
    """The last `count` embedded cartoon faces (file order) with their feature-region masks."""
    source = ImageSource(embedded.cartoon_faces_64())
    mesh = FaceMesh()
    images, masks = [], []
    t = time.perf_counter()
    for name in source.files[-count:]:
        image = source.load(name, size)
        result = mesh(image)
        if not result.found:
            continue
        weights = landmark_weight_map(result.landmarks, True, size, size, strength=1.0, sigma=0.02,
                                      face_weight=0.0, feature_weight=1.0)[..., 0]
        images.append(image)
        masks.append(weights > 1.2 * weights.min())
    rate = count / (time.perf_counter() - t)
    return np.stack(images), np.stack(masks), rate


def errors(model, images, masks):
    a = to_unit_range(images)
    rec = np.asarray(model.translate(model.translate(a, "ab"), "ba"))
    error = np.abs(rec - a).mean(axis=-1) * 127.5
    return float(error[masks].mean()), float(error[~masks].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--landmark_weight", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    images, masks, mesh_rate = evaluation_set()
    rows = []
    for weight in (0.0, args.landmark_weight):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            result = cyclegan.run(cyclegan.CycleGANConfig(
                model_dir=tmp, epochs=1, steps_per_epoch=args.steps, seed=args.seed, landmark_weight=weight,
                verbose="0"))
            inside, outside = errors(result.model, images, masks)
            rows.append((weight, inside, outside, time.perf_counter() - t))
    print(f"CycleGAN 64 px demo, {args.steps} steps, seed {args.seed}; {len(images)} evaluation faces; "
          f"face mesh {mesh_rate:.0f} img/s (64 px inputs)")
    print(markdown_table(["landmark_weight", "rec. error in landmark regions", "rec. error elsewhere", "ratio", "run s"],
                         [[f"{weight:g}", f"{inside:.2f}", f"{outside:.2f}", f"{inside / outside:.2f}", f"{seconds:.0f}"]
                          for weight, inside, outside, seconds in rows]))


if __name__ == "__main__":
    main()
