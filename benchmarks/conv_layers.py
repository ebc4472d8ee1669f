"""Where a CycleGAN step's time goes: each convolution of the 128 px CycleGAN, alone, in TensorFlow and PyTorch.

    python -m benchmarks.conv_layers [--json benchmarks/results/conv_layers_2cpu.json]

Batch 1, fp32, the shapes of `CycleGAN(image_size=128, num_blocks=6)`'s generator and PatchGAN
discriminator. Each convolution is timed forward, and forward plus the gradients of its input and
weights (a backpropagated pass, as in training), in its own process per configuration:

- TensorFlow with oneDNN (`TF_ENABLE_ONEDNN_OPTS=1`, what `import keras_animegan` picks), with the
  oneDNN implementation each convolution ran (`ONEDNN_VERBOSE`: `gemm:jit` is im2col plus a matrix
  multiply; `brg`/`jit:avx512` are direct convolutions);
- TensorFlow with Eigen (`TF_ENABLE_ONEDNN_OPTS=0`);
- PyTorch eager, NCHW and channels-last.

TensorFlow runs each layer as the model builds it: the generator's head is a `NarrowConv2D`, whose
gradients in training are two matrix products (`keras_animegan.backend.narrow_conv`).

`per step` is how many times a CycleGAN train step runs the layer with gradients (6 generator passes:
2 translations, 2 reconstructions, 2 identities; 6 discriminator passes: 2 in the generators' step,
4 in the discriminators'; the residual 3x3 convolution is in 12 places per generator); `step ms`
weighs fwd+bwd by it: an estimate of the convolutions' share of a step (a discriminator pass needs
only one of its two gradients, so it counts a little high). Results:
`benchmarks/results/conv_layers_2cpu.json`, rendered in the docs' benchmark page.
"""

import argparse
import sys
import time

from benchmarks import harness
from benchmarks import machine
from benchmarks.table import markdown_table

# name -> (input size, in channels, out channels, kernel, stride, padding, transposed, passes per train step)
LAYERS = {
    "generator stem 7x7, 3->64": (134, 3, 64, 7, 1, "valid", False, 6),
    "generator down 3x3/2, 64->128": (128, 64, 128, 3, 2, "same", False, 6),
    "generator down 3x3/2, 128->256": (64, 128, 256, 3, 2, "same", False, 6),
    "generator residual 3x3, 256->256": (34, 256, 256, 3, 1, "valid", False, 6 * 12),
    "generator up 3x3/2 (transposed), 256->128": (32, 256, 128, 3, 2, "same", True, 6),
    "generator up 3x3/2 (transposed), 128->64": (64, 128, 64, 3, 2, "same", True, 6),
    "generator head 7x7, 64->3": (134, 64, 3, 7, 1, "valid", False, 6),
    "discriminator 4x4/2, 3->64": (128, 3, 64, 4, 2, "same", False, 6),
    "discriminator 4x4/2, 64->128": (64, 64, 128, 4, 2, "same", False, 6),
    "discriminator 4x4/2, 128->256": (32, 128, 256, 4, 2, "same", False, 6),
    "discriminator 4x4, 256->512": (16, 256, 512, 4, 1, "same", False, 6),
}
CONFIGS = {  # name -> (framework, environment)
    "tensorflow_onednn": ("tensorflow", {"TF_ENABLE_ONEDNN_OPTS": "1", "ONEDNN_VERBOSE": "1"}),
    "tensorflow_eigen": ("tensorflow", {"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "torch": ("torch", {}),
    "torch_channels_last": ("torch", {}),
}
NARROW = {"generator head 7x7, 64->3"}  # built as `NarrowConv2D` (TensorFlow)


def best_ms(call, repeats=10, windows=3):
    call()
    best = float("inf")
    for _ in range(windows):
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best * 1e3


def tensorflow_layer(size, cin, cout, kernel, stride, padding, transposed, narrow=False):
    import keras_animegan  # noqa: F401  (before TensorFlow: oneDNN)
    import keras
    import tensorflow as tf

    from keras_animegan.layers import NarrowConv2D

    kind = keras.layers.Conv2DTranspose if transposed else NarrowConv2D if narrow else keras.layers.Conv2D
    layer = kind(cout, kernel, strides=stride, padding=padding)
    x = tf.random.stateless_normal((1, size, size, cin), (0, 1))
    layer(x)

    @tf.function
    def forward(x):
        return layer(x)

    @tf.function
    def backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * y)
        return tape.gradient(loss, [x] + layer.trainable_variables)

    return lambda: forward(x).numpy(), lambda: backward(x)[0].numpy()


def torch_layer(size, cin, cout, kernel, stride, padding, transposed, channels_last):
    import torch

    torch.manual_seed(0)
    if transposed:
        layer = torch.nn.ConvTranspose2d(cin, cout, kernel, stride, 1, output_padding=1)
    else:
        pad = 0 if padding == "valid" else (kernel - 1) // 2 if stride == 1 else 1
        layer = torch.nn.Conv2d(cin, cout, kernel, stride, pad)
    x = torch.randn(1, cin, size, size)
    if channels_last:
        layer, x = layer.to(memory_format=torch.channels_last), x.to(memory_format=torch.channels_last)
    x.requires_grad_()

    def forward():
        with torch.no_grad():
            return layer(x)

    def backward():
        y = layer(x)
        return torch.autograd.grad((y * y).sum(), [x] + list(layer.parameters()))

    return forward, backward


def worker(config):
    framework, _ = CONFIGS[config]
    out = {}
    for name, (size, cin, cout, kernel, stride, padding, transposed, _) in LAYERS.items():
        print(f"LAYER {name}", flush=True)  # the oneDNN log lines after this one are this layer's
        if framework == "tensorflow":
            forward, backward = tensorflow_layer(size, cin, cout, kernel, stride, padding, transposed, name in NARROW)
        else:
            forward, backward = torch_layer(size, cin, cout, kernel, stride, padding, transposed,
                                            config == "torch_channels_last")
        out[name] = {"forward_ms": best_ms(forward), "backward_ms": best_ms(backward)}
    return out


def implementations(log):
    """`{layer: sorted oneDNN implementations of its convolutions}` from a worker's ONEDNN_VERBOSE output."""
    found, layer = {}, None
    for line in log.splitlines():
        if line.startswith("LAYER "):
            layer = line[len("LAYER "):]
        elif layer and line.startswith("onednn_verbose") and ",exec," in line and "convolution" in line:
            parts = line.split(",")
            kind = parts[parts.index("convolution") + 1] + " " + parts[parts.index("convolution") + 2]
            found.setdefault(layer, set()).add(kind)
    return {k: sorted(v) for k, v in found.items()}


def run(config, timeout):
    """`(timings, oneDNN implementations)` of one configuration, measured in its own process."""
    result, output = harness.run_worker([sys.executable, "-m", "benchmarks.conv_layers", "--worker", config],
                                        timeout, env=CONFIGS[config][1], with_output=True)
    return result, implementations(output) if "error" not in result else {}


def table(result):
    configs = [c for c in CONFIGS if "error" not in result["layers"].get(c, {"error": 1})]
    header = ["convolution (batch 1)", "per step"] + [f"{c}: fwd / fwd+bwd ms" for c in configs] + [
        "oneDNN ran"]
    rows = []
    totals = {c: 0.0 for c in configs}
    for name, spec in LAYERS.items():
        cells = []
        for c in configs:
            r = result["layers"][c][name]
            totals[c] += spec[-1] * r["backward_ms"]
            cells.append(f"{r['forward_ms']:.1f} / {r['backward_ms']:.1f}")
        rows.append([name, spec[-1], *cells, ", ".join(result["onednn_implementations"].get(name, [])) or "-"])
    rows.append(["step ms (fwd+bwd x per step)", "", *[f"{totals[c]:.0f}" for c in configs], ""])
    return markdown_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        harness.report(worker(args.worker))
        return 0
    result = {"machine": machine.describe(("PyTorch", "torch")), "layers": {}, "onednn_implementations": {}}
    for config in args.configs.split(","):
        result["layers"][config], found = run(config, args.timeout)
        result["onednn_implementations"].update(found)
        print(f"  {config}: {'error' if 'error' in result['layers'][config] else 'done'}", file=sys.stderr, flush=True)
    print(f"{result['machine']}\n\n{table(result)}")
    harness.save_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
