"""CycleGAN seconds per training step at real sizes (batch 1, as junyanz trains), and first-step time.

Run by hand:  python -m benchmarks.cyclegan_throughput [--sizes 64,128,256] [--steps 5] [--precision fp32]
Rows: the embedded demo (64 px, ngf 32, 6 blocks), 128 px (ngf 64, 6 blocks), 256 px (ngf 64, 9 blocks).
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_animegan  # noqa: E402,F401  (before TensorFlow starts: see `utils.optional.prefer_onednn`)
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_animegan import CycleGAN  # noqa: E402
from benchmarks.harness import seconds_per_step  # noqa: E402
from benchmarks.table import markdown_table

SETTINGS = {64: (32, 6), 128: (64, 6), 256: (64, 9)}


def step_time(size, steps, batch_size, policy):
    keras.mixed_precision.set_dtype_policy(policy)
    ngf, blocks = SETTINGS[size]
    model = CycleGAN(image_size=size, base_filters=ngf, num_blocks=blocks, seed=0)
    model.compile()
    a = tf.random.stateless_uniform((batch_size, size, size, 3), (0, 1), minval=-1, maxval=1)
    ds = tf.data.Dataset.from_tensors((a, a)).repeat()
    t = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)
    first = time.perf_counter() - t
    per_step = seconds_per_step(model, ds, steps)
    t = time.perf_counter()
    for _ in range(steps):
        model.translate(a, "ab")
    infer = steps * batch_size / (time.perf_counter() - t)
    keras.mixed_precision.set_dtype_policy("float32")
    return ngf, blocks, first, per_step, infer


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="64,128,256")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=1)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    args = parser.parse_args()
    policy = {"fp32": "float32", "bf16": "mixed_bfloat16"}[args.precision]
    rows = [(size,) + step_time(size, args.steps, args.batch_size, policy) for size in map(int, args.sizes.split(","))]
    print(f"CycleGAN, batch {args.batch_size}, {args.precision}, {os.cpu_count()} CPU(s), TF {tf.__version__}")
    print(markdown_table(["size", "ngf", "blocks", "first step s", "s/step", "img/s (train)", "G_ab inference img/s"],
                         [[size, ngf, blocks, f"{first:.1f}", f"{per_step:.2f}", f"{args.batch_size / per_step:.2f}",
                           f"{infer:.1f}"] for size, ngf, blocks, first, per_step, infer in rows]))


if __name__ == "__main__":
    main()
