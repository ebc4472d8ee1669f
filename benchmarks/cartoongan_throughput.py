"""CartoonGAN seconds per step at 128 and 256 px with a real VGG (the VGG16 ImageNet file), init and full phase.

Run by hand:
  python -m benchmarks.cartoongan_throughput --vgg_weights ../shared/models/vgg16-imagenet/vgg16_imagenet_notop.weights.h5
Without a weights file (`--vgg_weights none`) the VGG has random weights: the same FLOPs, so the same timing.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_animegan  # noqa: E402,F401  (before TensorFlow starts: see `utils.optional.prefer_onednn`)
import tensorflow as tf  # noqa: E402

from keras_animegan import CartoonGAN  # noqa: E402
from keras_animegan.models import vgg_feature_extractor  # noqa: E402
from benchmarks.harness import seconds_per_step  # noqa: E402
from benchmarks.table import markdown_table


def timing(size, batch_size, steps, vgg, weights, init):
    features = vgg_feature_extractor(vgg, weights=None if weights == "none" else weights, image_size=size)
    model = CartoonGAN(features, image_size=size, init_steps=10**9 if init else 0, seed=0)
    model.compile()
    x = tf.random.stateless_uniform((batch_size, size, size, 3), (0, 1), minval=-1, maxval=1)
    ds = tf.data.Dataset.from_tensors((x, x, x)).repeat()
    t = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)
    first = time.perf_counter() - t
    return first, seconds_per_step(model, ds, steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="128,256")
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--vgg", default="vgg16")
    parser.add_argument("--vgg_weights", default="none")
    args = parser.parse_args()
    rows = []
    for size in map(int, args.sizes.split(",")):
        for init in (True, False):
            first, per_step = timing(size, args.batch_size, args.steps, args.vgg, args.vgg_weights, init)
            rows.append((size, "init (content only)" if init else "adversarial", first, per_step))
    print(f"CartoonGAN (ngf 64, 8 blocks, {args.vgg} features), batch {args.batch_size}, fp32, "
          f"{os.cpu_count()} CPU(s), weights: {os.path.basename(args.vgg_weights)}")
    print(markdown_table(["size", "phase", "first step s", "s/step", "img/s"],
                         [[size, phase, f"{first:.1f}", f"{per_step:.2f}", f"{args.batch_size / per_step:.2f}"]
                          for size, phase, first, per_step in rows]))


if __name__ == "__main__":
    main()
