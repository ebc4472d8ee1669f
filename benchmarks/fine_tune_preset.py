"""Fine-tune the DCGAN preset on another set of images: the README's before/after grid.

    python -m benchmarks.fine_tune_preset                       # dcgan_avatars_64 on the cartoon faces
    python -m benchmarks.fine_tune_preset --preset PATH --images my_avatars/ --steps 2000

A user's "my avatars" here are the 5,000 training cartoon faces (`facesjs_00000..04999`), a style
the preset never saw, so the change is easy to see. The fine-tune is the trainer's own
(`keras_animegan.train.dcgan.run` with `init_preset`, the modern recipe), for `--steps` steps. Before and after,
the same 32 noise vectors are drawn, and KID (the protocol's VGG16 features, 1,000 samples) is
measured against the 1,000 held-out faces (`facesjs_05000..05999`) and the held-out avatars.
Writes the side-by-side grid (default `docs/images/fine_tune_dcgan.png`) and
`benchmarks/results/presets/fine_tune_<preset>.json`.
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
from benchmarks.table import markdown_table

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def grid_of(model, visualization):
    return visualization.make_grid(np.asarray(model.sample(32, seed=0)), 8)


def scores(model, protocol, faces_reference):
    acts = protocol.activations(kid_protocol.dcgan_samples(model))
    return {"kid_faces": [float(v) for v in protocol.kid_of_activations(acts, faces_reference)],
            "kid_avatars": [float(v) for v in protocol.kid_of_activations(acts)]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="dcgan_avatars_64", help="A shipped DCGAN preset name or folder.")
    parser.add_argument("--images", default=None, help="Images to fine-tune on (default: the training faces).")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "images", "fine_tune_dcgan.png"))
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(ROOT), "qwork"))
    args = parser.parse_args(argv)

    from keras_animegan import DCGAN
    from keras_animegan import visualization
    from keras_animegan.train import trainer as common
    from keras_animegan.train import dcgan as trainer

    common.setup_logging()
    images = args.images or kid_protocol.split_folder("faces_train", args.work_dir)
    protocol = kid_protocol.KIDProtocol(args.work_dir)
    faces_reference = protocol.activations(kid_protocol.load_images(kid_protocol.split_folder("faces_test",
                                                                                              args.work_dir)))
    before_model = DCGAN.from_preset(args.preset)
    before, before_scores = grid_of(before_model, visualization), scores(before_model, protocol, faces_reference)

    with tempfile.TemporaryDirectory() as run_dir:
        start = time.time()
        config = trainer.DCGANConfig(model_dir=os.path.join(run_dir, "train"), image_dir=images,
                                     init_preset=args.preset, epochs=1, steps_per_epoch=args.steps, verbose="2")
        model = trainer.run(config).model
        seconds = time.time() - start
    after, after_scores = grid_of(model, visualization), scores(model, protocol, faces_reference)

    gap = np.full((before.shape[0], 16, 3), 255, np.uint8)
    visualization.save_png(np.concatenate([before, gap, after], axis=1), args.output)
    name = os.path.basename(os.path.normpath(args.preset))
    result = {"preset": name, "images": "facesjs_00000..04999 (cartoon faces)" if not args.images else images,
              "steps": args.steps, "seconds_with_export": seconds, "before": before_scores, "after": after_scores,
              "grid": os.path.relpath(args.output, ROOT)}
    print(markdown_table(["", "KID vs held-out faces", "KID vs held-out avatars"],
                         [[label, f"{row['kid_faces'][0]:.4f} ± {row['kid_faces'][1]:.4f}",
                           f"{row['kid_avatars'][0]:.4f} ± {row['kid_avatars'][1]:.4f}"]
                          for label, row in (("preset", before_scores), (f"after {args.steps} steps", after_scores))]))
    out_dir = os.path.join(HERE, "results", "presets")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, f"fine_tune_{name}.json"), "w") as f:
        json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
