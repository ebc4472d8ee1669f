"""Training speed: Keras on each backend against PyTorch's best configuration, at real sizes, in one run.

    python -m benchmarks.speed [--models dcgan,cyclegan128] [--precisions fp32,bf16]
                               [--backends tensorflow,jax,torch] [--torch_configs eager,channels_last,compile]
                               [--steps N] [--json benchmarks/results/speed_2cpu.json]

(`python -m benchmarks.pytorch_compare` and `python -m benchmarks.backends` are the same benchmark.)
Needs `pip install ".[test]"` (JAX and the CPU build of PyTorch).

Every measurement runs in its own subprocess, one after the other, so no two frameworks share a
process or the cores:

- **Peak.** The machine's matmul rate, measured in the same run with the same thread count:
  square matmuls of 1024-4096 (TensorFlow and PyTorch, fp32 and bf16), the best of several calls.
  "% of peak" is a row's FLOP/s over this rate for its precision.
- **FLOPs per step.** XLA's own count (`compiled.cost_analysis()["flops"]`) of the very train step
  Keras runs on JAX: every convolution, matmul and elementwise op that survives dead-code
  elimination, per batch. Beside it, the convolutions and dense layers counted from the Keras
  layers (`layer_flops`: 2 x multiply-adds per forward pass; x3 for a pass that is backpropagated
  to its weights and its input, x2 for one that only needs one of the two); the two agree within a
  few percent (`tests/test_speed_benchmark.py` checks it on small models).
- **Keras.** `fit` on a fixed batch on each backend (TensorFlow reads a `tf.data` pipeline, JAX
  and PyTorch a `keras.utils.PyDataset`): the first step (tracing and compiling included) and
  images/s over the best of 3 windows after 2 warm-up steps. The fastest backend is "ours".
- **PyTorch.** The same networks and update steps written in PyTorch (`benchmarks.torch_reference`)
  in eager, eager channels-last and `torch.compile` (channels-last) configurations, bf16 by
  autocast; the best of them is the baseline.

Rows: DCGAN 64 px, batch 128; CycleGAN 128 px (6 residual blocks), batch 1; and on request
`cyclegan256` and `cartoongan128` / `cartoongan256` (VGG16 content and style losses, batch 4).
"""

import argparse
import os
import sys
import time

from benchmarks import harness
from benchmarks import machine
from benchmarks.table import markdown_table

MODELS = {  # name -> (model, image size, batch)
    "dcgan": ("dcgan", 64, 128),
    "cyclegan128": ("cyclegan", 128, 1),
    "cyclegan256": ("cyclegan", 256, 1),
    "cartoongan128": ("cartoongan", 128, 4),
    "cartoongan256": ("cartoongan", 256, 4),
}
STEPS = {"dcgan": 1, "cyclegan128": 4, "cyclegan256": 2, "cartoongan128": 2, "cartoongan256": 1}
BACKENDS = ("tensorflow", "jax", "torch")
TORCH_CONFIGS = {  # name -> (channels_last, compile)
    "eager": (False, False),
    "channels_last": (True, False),
    "compile": (True, True),
}
WINDOWS = 3
WARMUP = 2
PEAK_SIZES = (1024, 2048, 4096)
NAMES = {"dcgan": "DCGAN (64 px, 128)", "cyclegan128": "CycleGAN (128 px, 1)", "cyclegan256": "CycleGAN (256 px, 1)",
         "cartoongan128": "CartoonGAN (128 px, 4)", "cartoongan256": "CartoonGAN (256 px, 4)"}


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


def layer_flops(model_name, model, batch):
    """Convolution and dense FLOPs of one training step, from the layers and each train step's passes.

    A forward pass costs 1; its backward pass 1 more for the weight gradients and 1 more for the
    input gradients, each only when something needs them; the model counts its own passes
    (`step_flops`: a discriminator on real or detached images needs weight gradients only, one that
    the generator's loss goes through input gradients only, a trained generator both).
    """
    return model.step_flops(forward_flops) * batch


# ---------------------------------------------------------------------- workers
def vgg16_untrained(size):
    """CartoonGAN's VGG16 content network without its ImageNet weights (the same FLOPs, nothing to download)."""
    from keras_animegan.models import vgg_feature_extractor

    return vgg_feature_extractor("vgg16", weights=None, image_size=size)


#: Each row's settings besides its size (a function value is called with the size).
SETTINGS = {"cyclegan128": dict(base_filters=64, num_blocks=6), "cyclegan256": dict(base_filters=64, num_blocks=9),
            "cartoongan128": dict(feature_extractor=vgg16_untrained, init_steps=0, style_weight=1.0),
            "cartoongan256": dict(feature_extractor=vgg16_untrained, init_steps=0, style_weight=1.0)}


def make_model(name, precision):
    """The Keras model of a row (its registered class at the row's size and settings) and a fixed batch
    (NumPy, `registry.example_batch`), under the precision's dtype policy."""
    import types

    import keras

    from keras_animegan.models import example_batch
    from keras_animegan.models import model_entry

    model_name, size, batch = MODELS[name]
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    settings = {key: value(size) if isinstance(value, types.FunctionType) else value
                for key, value in SETTINGS.get(name, {}).items()}
    model = model_entry(model_name).cls(image_size=size, seed=0, **settings)
    return model, example_batch(model, batch)


def keras_worker(name, precision, steps):
    """img/s and first step of `fit` on this process's Keras backend."""
    import keras_animegan  # noqa: F401  (before TensorFlow starts: see `utils.optional.prefer_onednn`)
    import keras

    model, data = make_model(name, precision)
    model_name, _, batch = MODELS[name]
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

    start = time.perf_counter()
    model.fit(dataset, epochs=1, steps_per_epoch=WARMUP + WINDOWS * steps, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=stamp)])
    seconds = min(ends[WARMUP - 1 + (w + 1) * steps] - ends[WARMUP - 1 + w * steps] for w in range(WINDOWS))
    return {"img_s": steps * batch / seconds, "first_step_s": ends[0] - start, "step_s": seconds / steps,
            "layer_gflop_per_step": layer_flops(model_name, model, batch) / 1e9}


def xla_flops_worker(name, precision):
    """XLA's FLOP count of one train step as Keras runs it on JAX (this process's backend must be JAX)."""
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError("the FLOP worker needs KERAS_BACKEND=jax")
    model, data = make_model(name, precision)
    model_name, _, batch = MODELS[name]
    model.compile()
    return {"xla_gflop_per_step": xla_step_flops(model, data) / 1e9,
            "layer_gflop_per_step": layer_flops(model_name, model, batch) / 1e9}


def xla_step_flops(model, data):
    """XLA's FLOP count of `model.train_step` on `data` (a compiled model, on the JAX backend)."""
    import jax

    model.make_train_function()
    state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
             [v.value for v in model.optimizer.variables], [v.value for v in model.metrics_variables])
    analysis = jax.jit(model.train_step).lower(state, data).compile().cost_analysis()
    analysis = analysis[0] if isinstance(analysis, (list, tuple)) else analysis
    return float(analysis["flops"])


def peak_worker(framework, precision, sizes=PEAK_SIZES, seconds=1.0):
    """The best matmul GFLOP/s of `framework` over square sizes, at this process's thread count."""
    matmul, threads = _square_matmul(framework, precision)
    best = 0.0
    for n in sizes:
        rate = _best_rate(matmul(n), n, seconds)
        best = max(best, rate)
        if 2 * n**3 / rate / 1e9 > seconds:  # a slow path (bf16 without hardware support): no bigger sizes
            break
    return {"gflop_s": best, "threads": threads}


def _square_matmul(framework, precision):
    """`(make, threads)`: `make(n)` gives a call that multiplies two n x n matrices and waits for it."""
    if framework == "tensorflow":
        import tensorflow as tf

        dtype = tf.bfloat16 if precision == "bf16" else tf.float32
        matmul = tf.function(lambda x, y: tf.reduce_sum(tf.cast(tf.matmul(x, y)[:1, :1], tf.float32)))

        def make(n):
            a = tf.cast(tf.random.stateless_uniform((n, n), (0, 1)), dtype)
            b = tf.cast(tf.random.stateless_uniform((n, n), (0, 2)), dtype)
            return lambda: matmul(a, b).numpy()

        return make, os.cpu_count()
    import torch

    dtype = torch.bfloat16 if precision == "bf16" else torch.float32

    def make(n):
        generator = torch.Generator().manual_seed(0)
        a = torch.rand(n, n, generator=generator).to(dtype)
        b = torch.rand(n, n, generator=generator).to(dtype)
        return lambda: torch.mm(a, b)

    return make, torch.get_num_threads()


def _best_rate(run, n, seconds):
    """GFLOP/s of the fastest call of `run` (an n x n matmul), over at least `seconds` and 3 calls."""
    run()
    fastest, spent, calls = float("inf"), 0.0, 0
    while (spent < seconds or calls < 3) and spent < 10 * seconds:
        t = time.perf_counter()
        run()
        elapsed = time.perf_counter() - t
        fastest, spent, calls = min(fastest, elapsed), spent + elapsed, calls + 1
    return 2 * n**3 / fastest / 1e9


def torch_worker(name, precision, config, steps):
    import torch

    from benchmarks.torch_reference import Setup

    model_name, size, batch = MODELS[name]
    channels_last, compile_ = TORCH_CONFIGS[config]
    setup = Setup(model_name, size, batch, channels_last=channels_last, compile=compile_, bf16=precision == "bf16")
    start = time.perf_counter()
    setup.step()
    first = time.perf_counter() - start
    setup.step()  # torch.compile may recompile once more for the second call
    times = []
    for _ in range(WINDOWS):
        start = time.perf_counter()
        for _ in range(steps):
            setup.step()
        times.append(time.perf_counter() - start)
    return {"img_s": steps * batch / min(times), "first_step_s": first, "threads": torch.get_num_threads()}


def run_worker(args, timeout, backend=None):
    env = {"KERAS_BACKEND": backend} if backend else None
    return harness.run_worker([sys.executable, "-m", "benchmarks.speed", "--worker"] + args, timeout, env=env)


# ------------------------------------------------------------------------ table
def summarize(result):
    """Fills each row's `keras` (the fastest backend) with its FLOP/s and % of peak; returns `result`."""
    for row in result["rows"]:
        speeds = {b: r for b, r in row["backends"].items() if "img_s" in r}
        if not speeds:
            row["keras"] = {"error": "no backend trained"}
            continue
        fastest = max(speeds, key=lambda b: speeds[b]["img_s"])
        keras_row = dict(speeds[fastest], backend=fastest)
        flops = row.get("flops", {})
        gflop = flops.get("xla_gflop_per_step", keras_row.get("layer_gflop_per_step"))
        keras_row["gflop_per_step"] = gflop
        keras_row["gflop_s"] = gflop / keras_row["step_s"]
        peak = result["peak_gflops"].get(row["precision"])
        if peak:
            keras_row["percent_of_peak"] = 100 * keras_row["gflop_s"] / peak
        torch_rows = {c: r for c, r in row["torch"].items() if "img_s" in r}
        if torch_rows:
            best = max(torch_rows, key=lambda c: torch_rows[c]["img_s"])
            keras_row["best_torch"] = best
            keras_row["over_best_torch"] = keras_row["img_s"] / torch_rows[best]["img_s"]
        row["keras"] = keras_row
    return result


def table(result):
    """The markdown table of a results dict (the docs and the README render it from the JSON)."""
    configs = list(TORCH_CONFIGS)
    header = (["model (size, batch)", "precision", "ours img/s (backend)", "ours first step s"]
              + [f"PyTorch {c} img/s" for c in configs]
              + ["ours / best PyTorch", "GFLOP/step (XLA)", "ours GFLOP/s", "% of peak"])
    rows = []
    for row in result["rows"]:
        ours, torch_rows = row["keras"], row["torch"]
        if "img_s" not in ours:
            rows.append([NAMES.get(row["model"], row["model"]), row["precision"], "error"] + [""] * (len(header) - 3))
            continue
        cells = [f"{torch_rows[c]['img_s']:.3g}" if "img_s" in torch_rows.get(c, {}) else "-" for c in configs]
        ratio = f"{ours['over_best_torch']:.2f}x ({ours['best_torch']})" if "over_best_torch" in ours else "-"
        percent = f"{ours['percent_of_peak']:.0f}%" if "percent_of_peak" in ours else "-"
        rows.append([NAMES.get(row["model"], row["model"]), row["precision"],
                     f"{ours['img_s']:.3g} ({ours['backend']})", f"{ours['first_step_s']:.1f}", *cells, ratio,
                     f"{ours['gflop_per_step']:.1f}", f"{ours['gflop_s']:.0f}", percent])
    return markdown_table(header, rows)


def backends_table(result):
    """Every Keras backend of each row, beside PyTorch's best configuration."""
    header = (["model (size, batch)", "precision"] + [f"Keras on {b}: img/s (first step s)" for b in BACKENDS]
              + ["best PyTorch: img/s (first step s)", "fastest / best PyTorch"])
    rows = []
    for row in result["rows"]:
        cells = []
        for backend in BACKENDS:
            r = row["backends"].get(backend, {})
            cells.append(f"{r['img_s']:.3g} ({r['first_step_s']:.1f})" if "img_s" in r else
                         ("-" if not r else "error"))
        torch_rows = {c: r for c, r in row["torch"].items() if "img_s" in r}
        best = max(torch_rows, key=lambda c: torch_rows[c]["img_s"]) if torch_rows else None
        cells.append(f"{torch_rows[best]['img_s']:.3g} ({torch_rows[best]['first_step_s']:.1f}, {best})" if best
                     else "-")
        ours = row.get("keras", {})
        cells.append(f"{ours['over_best_torch']:.2f}x ({ours['backend']})" if "over_best_torch" in ours else "-")
        rows.append([NAMES.get(row["model"], row["model"]), row["precision"], *cells])
    return markdown_table(header, rows)


def peak_text(result):
    peaks = result["peak_gflops"]
    return (f"Peak (the best square matmul, {', '.join(map(str, result['peak_sizes']))}, in the same run and "
            f"thread count): " + ", ".join(f"{p} {peaks[p]:.0f} GFLOP/s" for p in peaks) + ".")


# ------------------------------------------------------------------------- main
def build_parser(prog=None):
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", "--rows", dest="models", default="dcgan,cyclegan128",
                        help=f"Comma-separated, from {sorted(MODELS)} (or 'all').")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="Keras backends to train on.")
    parser.add_argument("--torch_configs", default=",".join(TORCH_CONFIGS))
    parser.add_argument("--steps", type=int, default=None,
                        help="Steps per timed window (3 windows, the best counts; after 2 warm-up steps). "
                             "Default: a few seconds of work per row.")
    parser.add_argument("--no_flops", action="store_true", help="Skip XLA's FLOP count (layers' count only).")
    parser.add_argument("--timeout", type=int, default=1200, help="Seconds per worker.")
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", nargs="+", default=None, help=argparse.SUPPRESS)
    return parser


def run_in_worker(args):
    """`--worker kind name precision [config]`: one measurement in this process, reported to the parent."""
    kind, *rest = args.worker
    if kind == "keras":
        result = keras_worker(rest[0], rest[1], args.steps or STEPS[rest[0]])
    elif kind == "flops":
        result = xla_flops_worker(rest[0], rest[1])
    elif kind == "peak":
        result = peak_worker(rest[0], rest[1])
    else:
        result = torch_worker(rest[0], rest[1], rest[2], args.steps or STEPS[rest[0]])
    harness.report(result)
    return 0


def log(text):
    print(text, file=sys.stderr, flush=True)


def measure_row(name, precision, args):
    """One row: the Keras backends, XLA's FLOP count and the PyTorch reference configurations."""
    steps = args.steps or STEPS[name]
    row = {"model": name, "precision": precision, "steps_per_window": steps, "backends": {}, "torch": {}}
    for backend in args.backends.split(","):
        row["backends"][backend] = run_worker(["keras", name, precision, "--steps", str(steps)],
                                              args.timeout, backend=backend)
        log(f"  {name} {precision} keras/{backend}: {row['backends'][backend]}")
    if not args.no_flops:
        row["flops"] = run_worker(["flops", name, precision], args.timeout, backend="jax")
        log(f"  {name} {precision} flops: {row['flops']}")
    for config in args.torch_configs.split(","):
        row["torch"][config] = run_worker(["torch", name, precision, config, "--steps", str(steps)], args.timeout)
        log(f"  {name} {precision} torch/{config}: {row['torch'][config]}")
    return row


def main(argv=None, prog=None):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.worker:
        return run_in_worker(args)
    names = list(MODELS) if args.models == "all" else args.models.split(",")
    precisions = args.precisions.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)}; known: {', '.join(MODELS)}")
    peaks = {}
    for precision in precisions:
        peaks[precision] = {fw: run_worker(["peak", fw, precision], args.timeout) for fw in ("tensorflow", "torch")}
        log(f"  peak {precision}: {peaks[precision]}")
    rows = [measure_row(name, precision, args) for name in names for precision in precisions]
    from importlib import metadata

    result = {
        "machine": machine.describe(("PyTorch", "torch")),
        "versions": {name: metadata.version(name) for name in ("keras", "tensorflow", "torch")},
        "peak_sizes": list(PEAK_SIZES),
        "peak": peaks,
        "peak_gflops": {p: max(r.get("gflop_s", 0.0) for r in peaks[p].values()) for p in precisions},
        "rows": rows,
    }
    summarize(result)
    print(f"\n{peak_text(result)}\n\n{table(result)}\n\n{backends_table(result)}")
    harness.save_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
