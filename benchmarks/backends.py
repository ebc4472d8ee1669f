"""Training throughput on the three Keras backends, side by side, beside PyTorch itself.

    python -m benchmarks.backends [--rows dcgan,cyclegan128] [--precisions fp32,bf16] [--steps N]
                                  [--json benchmarks/results/backends_2cpu.json]

Every row runs in its own subprocess (Keras picks its backend once per process), one after the
other. Ours: `DCGAN` (64 px, batch 128) and `CycleGAN` (128 px, batch 1) trained by `fit` on a
fixed batch (TensorFlow: a `tf.data` pipeline; JAX and PyTorch: a `keras.utils.PyDataset`), the
first step (tracing and compiling included) and images/s over the best of 3 windows after 2
warm-up steps (a window is 1 step of DCGAN's batch of 128, 4 steps of CycleGAN's batch of 1). PyTorch itself: the same networks and steps written in PyTorch
(`benchmarks.torch_reference`), channels-last eager, bf16 by autocast. A model that does not
train on a backend yet gets a row that says so.
"""

import argparse
import json
import os
import platform
import sys
import time

from benchmarks import harness

from benchmarks.table import markdown_table

ROWS = {"dcgan": ("dcgan", 64, 128), "cyclegan128": ("cyclegan", 128, 1)}
STEPS = {"dcgan": 1, "cyclegan128": 4}  # steps per timed window: a few seconds each on TensorFlow
BACKENDS = ("tensorflow", "jax", "torch")
WINDOWS = 3


def keras_worker(row, precision, steps):
    import keras
    import numpy as np

    from keras_animegan import CycleGAN
    from keras_animegan import DCGAN

    model_name, size, batch = ROWS[row]
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    rng = np.random.default_rng(0)
    images = [rng.uniform(-1, 1, (batch, size, size, 3)).astype("float32") for _ in range(2)]
    if model_name == "dcgan":
        model, data = DCGAN(image_size=size, seed=0), images[0]
    else:
        model, data = CycleGAN(image_size=size, base_filters=64, num_blocks=6, seed=0), tuple(images)
    try:
        model.compile()
    except NotImplementedError as error:
        return {"error": str(error).split(";")[0]}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        dataset = tf.data.Dataset.from_tensors(data).repeat()
    else:
        class Repeat(keras.utils.PyDataset):
            num_batches = None

            def __getitem__(self, index):
                return data

        dataset = Repeat()
    ends = []

    def stamp(batch_index, logs):
        float(logs["g_loss"])  # waits for the step (JAX and PyTorch return before the work is done)
        ends.append(time.perf_counter())

    t = time.perf_counter()
    callback = keras.callbacks.LambdaCallback(on_train_batch_end=stamp)
    warmup = 2
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + WINDOWS * steps, verbose=0, callbacks=[callback])
    first = ends[0] - t
    seconds = min(ends[warmup - 1 + (w + 1) * steps] - ends[warmup - 1 + w * steps] for w in range(WINDOWS))
    return {"img_s": steps * batch / seconds, "first_step_s": first}


def torch_worker(row, precision, steps):
    import torch

    from benchmarks.torch_reference import Setup

    model_name, size, batch = ROWS[row]
    setup = Setup(model_name, size, batch, channels_last=True, compile=False, bf16=precision == "bf16")
    t = time.perf_counter()
    setup.step()
    first = time.perf_counter() - t
    setup.step()
    times = []
    for _ in range(WINDOWS):
        t = time.perf_counter()
        for _ in range(steps):
            setup.step()
        times.append(time.perf_counter() - t)
    return {"img_s": steps * batch / min(times), "first_step_s": first, "threads": torch.get_num_threads()}


def run_worker(framework, row, precision, steps, timeout):
    command = [sys.executable, "-m", "benchmarks.backends", "--worker", framework, row, precision, "--steps",
               str(steps)]
    return harness.run_worker(command, timeout, env={"KERAS_BACKEND": framework} if framework != "pytorch" else None)


def table(result):
    """The markdown table of a results dict (also rendered into the docs from the JSON)."""
    header = ["model (size, batch)", "precision"] + [f"Keras on {b}: img/s (first step s)" for b in BACKENDS] + [
        "PyTorch itself: img/s (first step s)", "fastest backend", "fastest / PyTorch"]
    rows = []
    for entry in result["rows"]:
        model_name, size, batch = ROWS[entry["row"]]
        cells, speeds = [], {}
        for backend in BACKENDS:
            r = entry[backend]
            if "img_s" in r:
                speeds[backend] = r["img_s"]
                cells.append(f"{r['img_s']:.2f} ({r['first_step_s']:.1f})")
            elif r.get("error", "").startswith("timeout"):
                cells.append(f"over {r['error'].split()[-2]} s")
            else:
                cells.append("error")
        torch_row = entry["pytorch"]
        fastest = max(speeds, key=speeds.get) if speeds else None
        ratio = (f"{speeds[fastest] / torch_row['img_s']:.2f}x" if fastest and "img_s" in torch_row else "-")
        rows.append([f"{model_name} ({size} px, {batch})", entry["precision"], *cells,
                     f"{torch_row['img_s']:.2f} ({torch_row['first_step_s']:.1f})" if "img_s" in torch_row
                     else "error", fastest or "-", ratio])
    return markdown_table(header, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--steps", type=int, default=None,
                        help="Steps per timed window (the best of 3 counts); default: 1 for DCGAN, 4 for CycleGAN.")
    parser.add_argument("--timeout", type=int, default=900, help="Seconds per worker.")
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        framework, row, precision = args.worker
        worker = torch_worker if framework == "pytorch" else keras_worker
        harness.report(worker(row, precision, args.steps or STEPS[row]))
        return

    rows = []
    for row in args.rows.split(","):
        for precision in args.precisions.split(","):
            entry = {"row": row, "precision": precision}
            for framework in (*BACKENDS, "pytorch"):
                entry[framework] = run_worker(framework, row, precision, args.steps or STEPS[row], args.timeout)
                print(f"  {row} {precision} {framework}: {entry[framework]}", file=sys.stderr, flush=True)
            rows.append(entry)
    import keras
    import torch

    result = {"rows": rows, "steps_per_window": {row: args.steps or STEPS[row] for row in args.rows.split(",")},
              "machine": f"{os.cpu_count()} CPU core(s), {platform.machine()}",
              "versions": {"keras": keras.__version__, "torch": torch.__version__}}
    print(table(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
