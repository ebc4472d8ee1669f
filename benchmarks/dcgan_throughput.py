"""DCGAN throughput at the report's size: train img/s (fp32, bf16), first-step time, input pipeline, inference.

Run by hand:  python -m benchmarks.dcgan_throughput [--steps 10] [--json out.json]
Prints a table. Real sizes (64 px, batch 128, width 64); numbers depend on the machine.
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_animegan  # noqa: E402,F401  (before TensorFlow starts: see `utils.optional.prefer_onednn`)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_animegan import DCGAN  # noqa: E402
from keras_animegan.data import ImageSource  # noqa: E402
from keras_animegan.data import embedded  # noqa: E402
from benchmarks.harness import seconds_per_step  # noqa: E402
from benchmarks.table import markdown_table


def train_throughput(policy, batch_size, steps, image_size=64, base_filters=64):
    keras.mixed_precision.set_dtype_policy(policy)
    model = DCGAN(image_size=image_size, base_filters=base_filters, seed=0)
    model.compile()
    images = tf.random.stateless_uniform((batch_size, image_size, image_size, 3), (0, 1), minval=-1, maxval=1)
    ds = tf.data.Dataset.from_tensors(images).repeat()
    t = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)
    first = time.perf_counter() - t
    seconds = seconds_per_step(model, ds, steps) * steps
    noise = np.random.default_rng(0).standard_normal((batch_size, 100)).astype(np.float32)
    model.predict_on_batch(noise)
    t = time.perf_counter()
    for _ in range(steps):
        model.predict_on_batch(noise)
    inference = steps * batch_size / (time.perf_counter() - t)
    keras.mixed_precision.set_dtype_policy("float32")
    return {"first_step_s": first, "train_img_s": steps * batch_size / seconds, "inference_img_s": inference}


def pipeline_throughput(batch_size, image_size=64, batches=60):
    source = ImageSource(embedded.anime_avatars_64())
    results = {}
    for cache in (False, True):
        ds = source.dataset(image_size, batch_size, seed=0, cache=cache)
        it = iter(ds)
        next(it)
        t = time.perf_counter()
        for _ in range(batches):
            next(it)
        results["cached" if cache else "decoding"] = batches * batch_size / (time.perf_counter() - t)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = {}
    for name, policy in (("fp32", "float32"), ("bf16", "mixed_bfloat16")):
        rows[name] = train_throughput(policy, args.batch_size, args.steps)
    pipeline = pipeline_throughput(args.batch_size)
    print(f"DCGAN 64 px, batch {args.batch_size}, width 64, {args.steps} timed steps, "
          f"{os.cpu_count()} CPU(s), TF {tf.__version__}, Keras {keras.__version__}")
    print(markdown_table(["precision", "train img/s", "first step s", "generator inference img/s"],
                         [[name, f"{r['train_img_s']:.1f}", f"{r['first_step_s']:.1f}", f"{r['inference_img_s']:.0f}"]
                          for name, r in rows.items()]))
    print()
    print(markdown_table(["input pipeline (embedded zip, 64 px)", "img/s"],
                         [[name, f"{value:.0f}"] for name, value in pipeline.items()]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"train": rows, "pipeline": pipeline}, f, indent=2)


if __name__ == "__main__":
    main()
