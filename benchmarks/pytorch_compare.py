"""Train throughput of keras_animegan against the same networks and steps in PyTorch, at real sizes.

Run by hand (needs `pip install torch==2.13.0`, the CPU build here):

    python -m benchmarks.pytorch_compare [--models dcgan,cyclegan128,cartoongan128] [--steps 5] [--json out.json]

Every row runs in its own subprocess, one after the other (no two frameworks
share a process or the cores). Per model and precision (fp32, bf16): our train
images/s and first (tracing) step, FLOPs per step (counted from the Keras
layers: 2 x MACs of every conv / transposed conv / dense layer per forward pass,
x3 for a pass that is backpropagated, x2 for one that only passes gradients
through to its input) and the achieved FLOP/s against this machine's measured
matmul peak; beside it PyTorch eager, eager channels_last and `torch.compile`
(fp32), each again under bf16 autocast, the best of them, and ours / best.
"""

import argparse
import json
import os
import sys
import time

from benchmarks import harness
from benchmarks.table import markdown_table

MODELS = {  # name -> (model, image size, batch)
    "dcgan": ("dcgan", 64, 128),
    "cyclegan128": ("cyclegan", 128, 1),
    "cyclegan256": ("cyclegan", 256, 1),
    "cartoongan128": ("cartoongan", 128, 4),
    "cartoongan256": ("cartoongan", 256, 4),
}
TORCH_CONFIGS = {  # name -> (channels_last, compile)
    "eager": (False, False),
    "channels_last": (True, False),
    "compile": (True, True),
}
# This machine's measured matmul peak (GFLOP/s): 2 cores, AVX-512 with bf16.
PEAK_GFLOPS = {"fp32": 214.0, "bf16": 405.0}


# ------------------------------------------------------------------------ FLOPs
def forward_flops(model):
    """2 x multiply-adds of every Conv2D, Conv2DTranspose and Dense layer of a functional Keras model, per image."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += forward_flops(layer)
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            _, h, w, cin = layer.input.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * cin * kh * kw * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, cout = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * cout * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return total


def step_flops(model_name, model, batch):
    """FLOPs of one training step (see the module docstring for the pass counts of each train_step)."""
    if model_name == "dcgan":
        g, d = forward_flops(model.generator), forward_flops(model.discriminator)
        per_image = (1 * g + 3 * d + 3 * d) + (3 * g + 2 * d)  # D step, then G step through D
    elif model_name == "cyclegan":
        g, d = forward_flops(model.generator_ab), forward_flops(model.discriminator_a)
        per_image = 6 * 3 * g + 2 * 2 * d + 4 * 3 * d  # 6 generator passes, 2 D passes in G step, 4 in D step
    else:
        g, d, v = (forward_flops(model.generator), forward_flops(model.discriminator),
                   forward_flops(model.feature_extractor))
        per_image = (v + g + 3 * 3 * d) + (3 * g + 2 * d + 2 * v + v)  # D step; G step with content + style
    return per_image * batch


# ---------------------------------------------------------------------- workers
WINDOWS = 3


def best_window(run):
    """Seconds of the fastest of `WINDOWS` runs of `run()`.

    The same rule for both frameworks (Keras: windows of one `fit`, timed by a
    callback; see `keras_worker`).
    """
    times = []
    for _ in range(WINDOWS):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return min(times)


def keras_worker(name, precision, steps):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from keras_animegan import CartoonGAN
    from keras_animegan import CycleGAN
    from keras_animegan import DCGAN
    from benchmarks.harness import seconds_per_step
    from keras_animegan.models import vgg_feature_extractor

    model_name, size, batch = MODELS[name]
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    images = lambda seed: tf.random.stateless_uniform((batch, size, size, 3), (seed, 0), minval=-1, maxval=1)  # noqa
    if model_name == "dcgan":
        model, data = DCGAN(image_size=size, seed=0), images(0)
    elif model_name == "cyclegan":
        model = CycleGAN(image_size=size, base_filters=64, num_blocks=9 if size >= 256 else 6, seed=0)
        data = (images(0), images(1))
    else:
        features = vgg_feature_extractor("vgg16", weights=None, image_size=size)
        model = CartoonGAN(features, image_size=size, init_steps=0, style_weight=1.0, seed=0)
        data = (images(0), images(1), images(2))
    model.compile()
    ds = tf.data.Dataset.from_tensors(data).repeat()
    t = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)
    first = time.perf_counter() - t
    # All windows inside one fit (Keras 3.15 retraces on every other `fit` call).
    seconds = seconds_per_step(model, ds, steps, warmup=2, windows=WINDOWS) * steps
    flops = step_flops(model_name, model, batch)
    return {"img_s": steps * batch / seconds, "first_step_s": first, "step_s": seconds / steps,
            "gflop_per_step": flops / 1e9, "gflop_s": flops * steps / seconds / 1e9}


def torch_worker(name, precision, config, steps):
    import torch

    from benchmarks.torch_reference import Setup

    model_name, size, batch = MODELS[name]
    channels_last, compile_ = TORCH_CONFIGS[config]
    setup = Setup(model_name, size, batch, channels_last=channels_last, compile=compile_, bf16=precision == "bf16")
    t = time.perf_counter()
    setup.step()
    first = time.perf_counter() - t
    setup.step()  # torch.compile may recompile once more for the second call

    def window():
        for _ in range(steps):
            setup.step()

    seconds = best_window(window)
    return {"img_s": steps * batch / seconds, "first_step_s": first, "threads": torch.get_num_threads()}


def run_worker(args, timeout):
    return harness.run_worker([sys.executable, "-m", "benchmarks.pytorch_compare", "--worker"] + args, timeout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="dcgan,cyclegan128,cartoongan128",
                        help=f"Comma-separated, from {sorted(MODELS)} (or 'all').")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--torch_configs", default=",".join(TORCH_CONFIGS))
    parser.add_argument("--steps", type=int, default=4,
                        help="Steps per timed window (3 windows, the best counts; after 2 warm-up steps).")
    parser.add_argument("--timeout", type=int, default=1200, help="Seconds per row.")
    parser.add_argument("--json", default=None)
    parser.add_argument("--torch_from", default=None,
                        help="Reuse the PyTorch rows of an earlier --json (rerun only ours).")
    parser.add_argument("--worker", nargs="+", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:  # framework name precision [config]
        framework, name, precision, *rest = args.worker
        result = (keras_worker(name, precision, args.steps) if framework == "keras"
                  else torch_worker(name, precision, rest[0], args.steps))
        harness.report(result)
        return

    names = list(MODELS) if args.models == "all" else args.models.split(",")
    earlier = {}
    if args.torch_from:
        with open(args.torch_from) as f:
            earlier = {(r["model"], r["precision"]): r["torch"] for r in json.load(f)["rows"]}
    rows = []
    for name in names:
        for precision in args.precisions.split(","):
            row = {"model": name, "precision": precision,
                   "keras": run_worker(["keras", name, precision], args.timeout), "torch": {}}
            for config in args.torch_configs.split(","):
                if config in earlier.get((name, precision), {}):
                    row["torch"][config] = earlier[(name, precision)][config]
                    continue
                row["torch"][config] = run_worker(["torch", name, precision, config], args.timeout)
            rows.append(row)
            print(f"  {name} {precision}: keras {row['keras'].get('img_s', row['keras'])} | "
                  + ", ".join(f"{k} {v.get('img_s', v.get('error', '')[:80])}" for k, v in row["torch"].items()),
                  file=sys.stderr, flush=True)

    import platform

    import tensorflow as tf
    import torch

    print(f"\nTrain throughput, images/s. {os.cpu_count()} CPU core(s) ({platform.processor() or platform.machine()}), "
          f"TF {tf.__version__}, torch {torch.__version__}; peak {PEAK_GFLOPS['fp32']:.0f} GFLOP/s fp32, "
          f"{PEAK_GFLOPS['bf16']:.0f} bf16 (measured matmul).")
    configs = args.torch_configs.split(",")
    header = (["model (size, batch)", "precision", "ours img/s", "ours first step s", "GFLOP/step", "ours GFLOP/s",
               "% of peak"] + [f"torch {c}" for c in configs] + ["torch first step s (best)", "ours / best torch"])
    table = []
    for row in rows:
        model_name, size, batch = MODELS[row["model"]]
        k = row["keras"]
        results = {c: r for c, r in row["torch"].items() if "img_s" in r}
        best = max(results, key=lambda c: results[c]["img_s"]) if results else None
        if "img_s" not in k:
            table.append([row["model"], row["precision"], f"error: {k.get('error', '')[:60]}"] + [""] * (len(header) - 3))
            continue
        cells = [f"{row['torch'][c]['img_s']:.2f}" if "img_s" in row["torch"][c] else "error" for c in configs]
        ratio = f"{k['img_s'] / results[best]['img_s']:.2f}x ({best})" if best else "-"
        first_best = f"{results[best]['first_step_s']:.1f}" if best else "-"
        table.append([f"{model_name} ({size} px, {batch})", row["precision"], f"{k['img_s']:.2f}",
                      f"{k['first_step_s']:.1f}", f"{k['gflop_per_step']:.1f}", f"{k['gflop_s']:.0f}",
                      f"{100 * k['gflop_s'] / PEAK_GFLOPS[row['precision']]:.0f}%"] + cells + [first_best, ratio])
    print(markdown_table(header, table))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "peak_gflops": PEAK_GFLOPS}, f, indent=2)


if __name__ == "__main__":
    main()
