"""LiteRT files of the shipped presets: size, CPU latency beside onnxruntime and the SavedModel, error, KID.

Run by hand (needs `../shared`, and `pip install onnxruntime`):

    python -m benchmarks.litert [--work_dir /tmp/litert_bench]

For each shipped preset and each of `none` / `fp16` / `int8` (`keras-animegan
export --preset NAME --litert --quantize Q`; the photo translator at 256 px):

- the file's size;
- CPU latency per image, median of 50 calls after 5 warm-up calls, with 1 and 2
  threads: LiteRT (`ai-edge-litert`, the float signature), onnxruntime (the same
  network converted with tf2onnx, float32) and the SavedModel (TensorFlow's
  threads set to the same count, in a fresh process per thread count);
- the largest absolute difference to the Keras model in [-1, 1], over the KID inputs;
- KID in the project's protocol (`benchmarks/kid_protocol.py`; the float32 file, whose
  outputs equal the Keras model's, is the reference the others are compared with): DCGAN on 1,000
  samples from fixed noise; the translators on the 256 photo-like dev portraits
  (`photo-faces-dev-256.zip`, as `benchmarks/photo_quality.py`).

Goals: fp16 within 1e-2 of Keras and the same KID (+-0.002); int8 at most 1/3.5
of the float32 file and a KID at most 0.01 worse; LiteRT no slower than
onnxruntime on each row. Writes `benchmarks/results/litert.json`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import machine  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PRESETS = ("dcgan_avatars_64", "cyclegan_faces2avatars_64", "cartoongan_photo2anime")
PHOTO_SIZE = 256


def median_seconds(fn, x, repeats=50, warmup=5):
    for _ in range(warmup):
        fn(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


SAVED_MODEL_TIMER = """
import sys, time, numpy as np, tensorflow as tf
threads = int(sys.argv[2])
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
serve = tf.saved_model.load(sys.argv[1]).signatures["serve"]
x = tf.constant(np.load(sys.argv[3]))
for _ in range(5):
    serve(x)
times = []
for _ in range(50):
    start = time.perf_counter(); serve(x); times.append(time.perf_counter() - start)
print(float(np.median(times)))
"""


def saved_model_seconds(path, x, threads, work):
    sample = os.path.join(work, "sample.npy")
    np.save(sample, x)
    out = subprocess.run([sys.executable, "-c", SAVED_MODEL_TIMER, path, str(threads), sample], capture_output=True,
                         text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


def onnx_session(network, shape, path, threads):
    import onnxruntime
    import tensorflow as tf
    import tf2onnx

    if not os.path.exists(path):
        spec = [tf.TensorSpec(shape, tf.float32, name="inputs")]
        function = tf.function(lambda inputs: tf.cast(network(inputs, training=False), tf.float32))
        tf2onnx.convert.from_function(function, input_signature=spec, output_path=path)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = threads
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work_dir", default=os.path.join(tempfile.gettempdir(), "litert_bench"))
    parser.add_argument("--json", default=os.path.join(HERE, "results", "litert.json"))
    parser.add_argument("--presets", default=",".join(PRESETS))
    return parser.parse_args(argv)


def model_inputs(model, network, photos):
    """The KID inputs of a model (noise, or the dev photos at the network's size), its size and calibration set.
    `photos` is a one-item cache list for the dev photos."""
    from benchmarks import kid_protocol
    from benchmarks import photo_eval
    from benchmarks.photo_quality import DEV_FACES
    from keras_animegan.litert import representative_images
    from keras_animegan.utils.pixels import to_unit_range

    if model.input_kind == "noise":
        inputs = np.random.default_rng(0).standard_normal((kid_protocol.NUM_IMAGES, network.input_shape[-1]))
        return inputs.astype(np.float32), None, None
    if not photos:
        photos.append(photo_eval.read_zip_images(DEV_FACES, size=PHOTO_SIZE))
    size = int(network.input_shape[1] or PHOTO_SIZE)
    import cv2

    inputs = np.stack([to_unit_range(cv2.resize(p, (size, size), interpolation=cv2.INTER_AREA))
                       for p in photos[0]]).astype(np.float32)
    return inputs, size, representative_images(None, size)[0]


def peer_timings(model, network, preset, one, work_dir):
    """onnxruntime and SavedModel seconds per image, 1 and 2 threads."""
    from keras_animegan.export import export_generator

    saved = export_generator(model, os.path.join(work_dir, "saved"), preset, network=network)
    timing = {}
    for threads in (1, 2):
        timing[f"onnxruntime_{threads}t"] = median_seconds(
            onnx_session(network, one.shape, os.path.join(work_dir, f"{preset}.onnx"), threads), one)
        timing[f"saved_model_{threads}t"] = saved_model_seconds(saved, one, threads, work_dir)
    return timing


def quantized_row(network, preset, quantize, inputs, size, representative, timing, work_dir):
    """One file's row: size, conversion time, latencies and its outputs (for the error and KID)."""
    from keras_animegan.litert import LiteRTGenerator
    from keras_animegan.litert import export_litert

    path = os.path.join(work_dir, f"{preset}_{quantize}.tflite")
    start = time.perf_counter()
    export_litert(network, path, size=size, quantize=quantize, representative=representative)
    row = {"preset": preset, "quantize": quantize, "size": size, "mb": os.path.getsize(path) / 1e6,
           "convert_seconds": time.perf_counter() - start, **timing}
    for threads in (1, 2):
        row[f"litert_{threads}t"] = median_seconds(LiteRTGenerator(path, num_threads=threads), inputs[:1])
    litert = LiteRTGenerator(path)
    return row, np.concatenate([litert(inputs[i:i + 50]) for i in range(0, len(inputs), 50)])


def preset_rows(preset, protocol, photos, work_dir):
    """The three rows (float32, fp16, int8) of one shipped preset."""
    import keras_animegan
    from benchmarks import photo_eval

    model = keras_animegan.GANModel.from_preset(preset)
    network = model.inference_generator()
    inputs, size, representative = model_inputs(model, network, photos)
    keras_out = np.concatenate([np.asarray(network(inputs[i:i + 50], training=False), np.float32)
                                for i in range(0, len(inputs), 50)])
    timing = peer_timings(model, network, preset, inputs[:1], work_dir)
    rows, keras_kid = [], None
    for quantize in ("none", "fp16", "int8"):
        row, outputs = quantized_row(network, preset, quantize, inputs, size, representative, timing, work_dir)
        row["max_abs_diff"] = float(np.abs(outputs - keras_out).max())
        if model.input_kind == "noise":
            kid = protocol.kid(outputs)
        else:
            to_uint8 = lambda x: np.clip(np.round((x + 1) * 127.5), 0, 255).astype(np.uint8)  # noqa: E731
            kid = photo_eval.kid_of(protocol, list(to_uint8(outputs)))
        # The float32 file's outputs equal the Keras model's (max_abs_diff ~1e-6): its KID is the reference.
        keras_kid = keras_kid or kid
        row.update(kid=float(kid[0]), kid_std=float(kid[1]), keras_kid=float(keras_kid[0]))
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def judge(rows):
    """Each row against the float32 file of its preset, and its goal."""
    for row in rows:
        base = next(r for r in rows if r["preset"] == row["preset"] and r["quantize"] == "none")
        row["size_ratio"] = row["mb"] / base["mb"]
        row["kid_change"] = row["kid"] - row["keras_kid"]
        row["litert_le_onnxruntime"] = all(row[f"litert_{t}t"] <= row[f"onnxruntime_{t}t"] for t in (1, 2))
        row["goal_met"] = {
            "none": row["max_abs_diff"] <= 1e-4,
            "fp16": row["max_abs_diff"] <= 1e-2 and abs(row["kid_change"]) <= 0.002,
            "int8": row["size_ratio"] <= 1 / 3.5 and row["kid_change"] <= 0.01,
        }[row["quantize"]] and row["litert_le_onnxruntime"]


def print_table(rows):
    from benchmarks.table import markdown_table

    print(markdown_table(
        ["preset", "quantize", "MB", "x fp32", "LiteRT 1t / 2t ms", "onnxruntime 1t / 2t ms", "SavedModel 1t / 2t ms",
         "max diff", "KID (fp32 file)", "goal"],
        [[r["preset"], r["quantize"], f"{r['mb']:.2f}", f"{r['size_ratio']:.2f}",
          f"{1e3 * r['litert_1t']:.1f} / {1e3 * r['litert_2t']:.1f}",
          f"{1e3 * r['onnxruntime_1t']:.1f} / {1e3 * r['onnxruntime_2t']:.1f}",
          f"{1e3 * r['saved_model_1t']:.1f} / {1e3 * r['saved_model_2t']:.1f}", f"{r['max_abs_diff']:.4f}",
          f"{r['kid']:.4f} ({r['keras_kid']:.4f})", "met" if r["goal_met"] else "NOT MET"] for r in rows]))


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    from benchmarks import kid_protocol

    protocol = kid_protocol.KIDProtocol(args.work_dir)
    photos, rows = [], []
    for preset in args.presets.split(","):
        rows += preset_rows(preset, protocol, photos, args.work_dir)
    judge(rows)
    print_table(rows)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"rows": rows,
                   "machine": machine.describe(("ai-edge-litert", "ai-edge-litert"), ("onnxruntime", "onnxruntime")),
                   "kid": "project protocol; DCGAN: 1,000 samples; translators: the 256 photo-like dev portraits "
                          "at the network's size"}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
