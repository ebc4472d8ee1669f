"""Sample quality of the README demos, in the one KID protocol (`benchmarks/kid_protocol.py`), beside its floors.

Run by hand (needs the stand-in sets and the VGG16 file of the project's machines, `../shared`):

    python -m benchmarks.quality [--recipe modern] [--json benchmarks/results/quality_2cpu.json]

- References: 1,000 avatars of the train split, 1,000 cartoon faces (test split)
  and 1,000 images of uniform noise, each against the avatar test split.
- DCGAN demo: `keras-animegan train dcgan` exactly as the README runs it (the
  embedded 2,000 avatars, the recipe's demo settings); KID of 1,000 samples.
- CycleGAN demo: `keras-animegan train cyclegan` as the README runs it; KID of
  G_ab(faces test) and the A -> B -> A reconstruction L1 on the test faces.
- `--models` (`.keras` files, e.g. a preset or a long run) adds rows for them.

KID: VGG16 `include_top=False, pooling="avg"` features of images resized from 64
to 224 px, unbiased cubic-kernel MMD^2, 50 subsets of 500, 1,000 vs 1,000.
Budgets (steps, minutes) are printed with the results. For recipe x budget
tables see `benchmarks/recipes.py` and `benchmarks/quality_table.py`.
"""

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import kid_protocol  # noqa: E402


def evaluate_model(protocol, model, faces):
    """KID (and cycle L1 for translators) of a loaded GAN: DCGAN samples, or translations of `faces`."""
    if model.input_kind in ("noise", "tags"):
        return {"kid": protocol.kid(kid_protocol.dcgan_samples(model))}
    if len(model.directions) == 2:  # a translator with its way back: the cycle error too
        forward, back = model.directions
        fake = kid_protocol.translate_all(model.inference_generator(forward), faces)
        recon = kid_protocol.translate_all(model.inference_generator(back), fake)
        return {"kid": protocol.kid(fake), "cycle_l1": float(np.mean(np.abs(recon - faces)))}
    return {"kid": protocol.kid(kid_protocol.translate_all(model.inference_generator(), faces))}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=kid_protocol.DATA_DIR)
    parser.add_argument("--vgg_weights", default=kid_protocol.VGG_WEIGHTS)
    parser.add_argument("--recipe", default="modern", choices=["modern", "report"])
    parser.add_argument("--skip", nargs="*", default=[], choices=["references", "dcgan", "cyclegan"])
    parser.add_argument("--models", nargs="*", default=[], help="More .keras files to score.")
    parser.add_argument("--work_dir", default=None, help="Where runs and cached features go (default: a temp dir).")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    import keras

    from keras_animegan.train import trainer as common
    from keras_animegan.train import cyclegan
    from keras_animegan.train import dcgan

    common.setup_logging()
    work = args.work_dir or tempfile.mkdtemp(prefix="quality_")
    protocol = kid_protocol.KIDProtocol(work, args.data_dir, args.vgg_weights)
    faces = kid_protocol.load_images(kid_protocol.split_folder("faces_test", work, args.data_dir))
    rows = {}
    if "references" not in args.skip:
        train = kid_protocol.load_images(kid_protocol.split_folder("avatars_train", work, args.data_dir), limit=1000)
        noise = np.random.default_rng(0).uniform(-1, 1, faces.shape).astype(np.float32)
        rows["avatars train vs test (floor)"] = {"kid": protocol.kid(train)}
        rows["cartoon faces test, untranslated"] = {"kid": protocol.kid(faces)}
        rows["uniform noise"] = {"kid": protocol.kid(noise)}
    if "dcgan" not in args.skip:
        t = time.time()
        run = dcgan.run(dcgan.DCGANConfig(model_dir=os.path.join(work, f"dcgan_{args.recipe}"), recipe=args.recipe,
                                          verbose="2"))
        row = evaluate_model(protocol, run.model, faces)
        row.update(steps=run.steps, minutes=(time.time() - t) / 60, batch=run.config.batch_size)
        rows[f"DCGAN demo ({args.recipe})"] = row
    if "cyclegan" not in args.skip:
        t = time.time()
        run = cyclegan.run(cyclegan.CycleGANConfig(model_dir=os.path.join(work, f"cyclegan_{args.recipe}"),
                                                   recipe=args.recipe, verbose="2"))
        row = evaluate_model(protocol, run.model, faces)
        row.update(steps=run.steps, minutes=(time.time() - t) / 60, batch=run.config.batch_size)
        rows[f"CycleGAN demo ({args.recipe}), G_ab(faces test)"] = row
    for path in args.models:
        rows[os.path.basename(path)] = evaluate_model(protocol, keras.saving.load_model(path, compile=False), faces)

    print("\nKID (VGG16 pool features at 224 px, 50 subsets of 500, 1,000 vs the avatar test split; lower is better)")
    print("| what | KID | cycle L1 | budget |")
    print("|---|---|---|---|")
    for name, row in rows.items():
        budget = f"{row['steps']} steps (batch {row['batch']}), {row['minutes']:.1f} min" if "steps" in row else ""
        l1 = f"{row['cycle_l1']:.3f}" if "cycle_l1" in row else ""
        print(f"| {name} | {row['kid'][0]:.4f} ± {row['kid'][1]:.4f} | {l1} | {budget} |")
    print(f"\nRuns in {work}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"protocol": kid_protocol.__doc__.strip().splitlines()[0], "rows": rows}, f, indent=2,
                      default=float)


if __name__ == "__main__":
    main()
