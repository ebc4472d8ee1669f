"""Sample quality on the stand-in sets: KID (VGG16 features) of DCGAN and CycleGAN outputs, beside the floors.

Run by hand (needs the stand-in sets and the VGG16 file of the project's machines):

    python -m benchmarks.quality [--data_dir ../shared/data] \
        [--vgg_weights ../shared/models/vgg16-imagenet/vgg16_imagenet_notop.weights.h5] \
        [--dcgan_epochs 3] [--cyclegan_steps 2000] [--json out.json]

- DCGAN (the trainer, report settings: 64 px, batch 128, Adam 3e-4) on the avatar
  train split (`adventurer_00000..09999`); KID of 2,000 samples against the test
  split (`10000..11999`), beside KID of 2,000 train images against the test
  split (the floor: what a perfect generator would score).
- CycleGAN cartoon faces -> avatars at 64 px (the trainer's demo width, ngf 32)
  on the train splits; KID of G(A_test) (faces `05000..05999`) against B_test,
  beside KID of A_test itself against B_test (the untranslated baseline).

KID: VGG16 `block5_conv3` features, global-average pooled, 100 subsets of 1,000.
The budget (epochs / steps, minutes) is printed with the results.
"""

import argparse
import json
import os
import tempfile
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared")


def extract(zip_path, out_dir, first, last):
    """Extracts members whose trailing number lies in [first, last] into `out_dir`; returns their count."""
    os.makedirs(out_dir, exist_ok=True)
    count = 0
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            stem = os.path.splitext(os.path.basename(name))[0]
            digits = stem.rsplit("_", 1)[-1]
            if digits.isdigit() and first <= int(digits) <= last:
                with open(os.path.join(out_dir, os.path.basename(name)), "wb") as f:
                    f.write(archive.read(name))
                count += 1
    return count


def load(folder, size=64, limit=None):
    from keras_animegan.data import ImageSource

    source = ImageSource(folder)
    n = len(source) if limit is None else min(limit, len(source))
    ds = source.dataset(size, n, shuffle=False, repeat=False, drop_remainder=False, cache=False)
    return next(iter(ds)).numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.path.join(SHARED, "data"))
    parser.add_argument("--vgg_weights",
                        default=os.path.join(SHARED, "models", "vgg16-imagenet", "vgg16_imagenet_notop.weights.h5"))
    parser.add_argument("--dcgan_epochs", type=int, default=3)
    parser.add_argument("--cyclegan_steps", type=int, default=2000, help="CycleGAN steps (batch 1).")
    parser.add_argument("--work_dir", default=None, help="Where runs go (default: a temporary folder).")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from keras_animegan import metrics
    from train import common
    from train import cyclegan
    from train import dcgan

    common.setup_logging()
    work = args.work_dir or tempfile.mkdtemp(prefix="quality_")
    avatars = os.path.join(args.data_dir, "anime-avatars-64.zip")
    faces = os.path.join(args.data_dir, "cartoon-faces-64.zip")
    for path in (avatars, faces, args.vgg_weights):
        if not os.path.exists(path):
            raise SystemExit(f"error: {path} not found (see --data_dir / --vgg_weights).")
    splits = {
        "b_train": (avatars, 0, 9999), "b_test": (avatars, 10000, 11999),
        "a_train": (faces, 0, 4999), "a_test": (faces, 5000, 5999),
    }
    folders = {}
    for name, (zip_path, first, last) in splits.items():
        folders[name] = os.path.join(work, "data", name)
        if not os.path.isdir(folders[name]):
            extract(zip_path, folders[name], first, last)

    features = metrics.feature_model(args.vgg_weights, 64)

    def kid(a, b):
        return metrics.kid(a, b, features, num_subsets=100, subset_size=min(1000, len(a), len(b)))

    results = {}
    b_test = load(folders["b_test"])
    floor = kid(load(folders["b_train"], limit=2000), b_test)

    t = time.time()
    run = dcgan.run(dcgan.DCGANConfig(model_dir=os.path.join(work, "dcgan"), image_dir=folders["b_train"],
                                      epochs=args.dcgan_epochs, verbose="2"))
    minutes = (time.time() - t) / 60
    samples = np.concatenate([np.asarray(run.model.sample(200, seed=i)) for i in range(10)])
    results["dcgan"] = {"kid": kid(samples, b_test), "floor_train_vs_test": floor, "epochs": args.dcgan_epochs,
                        "steps": run.steps, "minutes": minutes}

    t = time.time()
    run = cyclegan.run(cyclegan.CycleGANConfig(
        model_dir=os.path.join(work, "cyclegan"), domain_a=folders["a_train"], domain_b=folders["b_train"],
        image_size=64, base_filters=32, batch_size=1, epochs=1, steps_per_epoch=args.cyclegan_steps, verbose="2"))
    minutes = (time.time() - t) / 60
    a_test = load(folders["a_test"])
    translated = np.concatenate([np.asarray(run.model.translate(a_test[i:i + 100], "ab"))
                                 for i in range(0, len(a_test), 100)])
    results["cyclegan"] = {"kid": kid(translated, b_test), "baseline_a_test_vs_b_test": kid(a_test, b_test),
                           "steps": run.steps, "minutes": minutes}

    print("\nKID x 1000 (VGG16 block5_conv3 pooled features, 100 subsets of 1,000; lower is better), 64 px:")
    print("| model | ours | reference | budget |")
    print("|---|---|---|---|")
    d, c = results["dcgan"], results["cyclegan"]
    print(f"| DCGAN, 2,000 samples vs avatar test | {1000 * d['kid'][0]:.2f} ± {1000 * d['kid'][1]:.2f} | "
          f"train vs test (floor): {1000 * d['floor_train_vs_test'][0]:.2f} ± {1000 * d['floor_train_vs_test'][1]:.2f} "
          f"| {d['epochs']} epochs, {d['steps']} steps, {d['minutes']:.1f} min |")
    print(f"| CycleGAN G(faces test) vs avatar test | {1000 * c['kid'][0]:.2f} ± {1000 * c['kid'][1]:.2f} | "
          f"faces test vs avatar test (untranslated): {1000 * c['baseline_a_test_vs_b_test'][0]:.2f} ± "
          f"{1000 * c['baseline_a_test_vs_b_test'][1]:.2f} | {c['steps']} steps (batch 1), {c['minutes']:.1f} min |")
    print(f"\nRuns in {work}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=float)


if __name__ == "__main__":
    main()
