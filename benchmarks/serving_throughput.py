"""Serving throughput: `python -m keras_animegan.serve` over HTTP against in-process `model.predict`.

Run by hand:  python -m benchmarks.serving_throughput [--seconds 10] [--json out.json]

Exports a DCGAN (64 px, width 64) and a CycleGAN generator (128 px, ngf 64,
6 blocks: junyanz's 128 px setting) with random weights, starts the server
on 127.0.0.1 in a subprocess, and times, per model and batch size:
`model.predict` in process, the SavedModel signature in process, and HTTP
requests (uint8 JSON rows; PNG bytes as {"b64"} for translators), with 1 and
4 concurrent clients. Prints a table of images/s.
"""

import argparse
import base64
import concurrent.futures
import io
import json
import os
import tempfile
import time
import urllib.request

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_animegan  # noqa: E402,F401  (before TensorFlow starts: see `utils.optional.prefer_onednn`)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks import harness  # noqa: E402

from keras_animegan import DCGAN  # noqa: E402
from keras_animegan.export import export_generator  # noqa: E402
from keras_animegan.models import resnet_generator  # noqa: E402


def timed(fn, seconds, images_per_call):
    fn()  # warm up (tracing)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return calls * images_per_call / (time.perf_counter() - start)


def timed_concurrent(fn, seconds, images_per_call, clients):
    fn()
    deadline = time.perf_counter() + seconds

    def worker():
        n = 0
        while time.perf_counter() < deadline:
            fn()
            n += 1
        return n

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        calls = sum(pool.map(lambda _: worker(), range(clients)))
    return calls * images_per_call / (time.perf_counter() - start)


def post(url, body):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        assert response.status == 200
        return response.read()


def start_server(export_dir, port, model="dcgan", max_request_bytes=200_000_000):
    """`python -m keras_animegan.serve` on 127.0.0.1:`port` in a subprocess, once `model` answers."""
    return harness.start_server(export_dir, port, model, f"--max_request_bytes={max_request_bytes}")


def png_b64(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def dcgan_rows(dcgan, export_dir, base, rng, seconds):
    rows = []
    for batch in (1, 16):
        noise = rng.standard_normal((batch, 100)).astype(np.float32)
        signature = tf.saved_model.load(os.path.join(export_dir, "dcgan", "1")).signatures["serving_default"]
        body = json.dumps({"instances": noise.tolist()}).encode()
        gen_body = json.dumps({"signature_name": "generate_image_bytes",
                               "inputs": {"count": batch, "seed": 1}}).encode()
        rows.append({
            "model": "DCGAN 64 px", "batch": batch,
            "keras_predict": timed(lambda: dcgan.generator.predict(noise, batch_size=batch, verbose=0), seconds, batch),
            "saved_model": timed(lambda: signature(noise=tf.constant(noise)), seconds, batch),
            "http_json_1": timed(lambda: post(f"{base}/dcgan:predict", body), seconds, batch),
            "http_json_4": timed_concurrent(lambda: post(f"{base}/dcgan:predict", body), seconds, batch, 4),
            "http_png_1": timed(lambda: post(f"{base}/dcgan:predict", gen_body), seconds, batch),
        })
    return rows


def translator_rows(translator, export_dir, base, rng, seconds):
    rows = []
    for batch in (1, 8):
        pixels = rng.integers(0, 256, (batch, 128, 128, 3), dtype=np.uint8)
        floats = pixels.astype(np.float32) / 127.5 - 1
        signature = tf.saved_model.load(os.path.join(export_dir, "translator", "1")).signatures["serving_default"]
        body = json.dumps({"instances": pixels.tolist()}).encode()
        png_body = json.dumps({"signature_name": "translate_bytes",
                               "instances": [{"b64": png_b64(p)} for p in pixels]}).encode()
        rows.append({
            "model": "CycleGAN G 128 px", "batch": batch,
            "keras_predict": timed(lambda: translator.predict(floats, batch_size=batch, verbose=0), seconds, batch),
            "saved_model": timed(lambda: signature(images=tf.constant(pixels)), seconds, batch),
            "http_json_1": timed(lambda: post(f"{base}/translator:predict", body), seconds, batch),
            "http_json_4": timed_concurrent(lambda: post(f"{base}/translator:predict", body), seconds, batch, 4),
            "http_png_1": timed(lambda: post(f"{base}/translator:predict", png_body), seconds, batch),
        })
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="Timing window per row.")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    export_dir = tempfile.mkdtemp()
    dcgan = DCGAN(image_size=64, base_filters=64, seed=0)
    translator = resnet_generator(image_size=128, base_filters=64, num_blocks=6)
    export_generator(dcgan, export_dir, "dcgan")
    export_generator(translator, export_dir, "translator", network=translator)
    port = harness.free_port()
    server = start_server(export_dir, port)
    base = f"http://127.0.0.1:{port}/v1/models"
    rng = np.random.default_rng(0)
    try:
        rows = (dcgan_rows(dcgan, export_dir, base, rng, args.seconds)
                + translator_rows(translator, export_dir, base, rng, args.seconds))
    finally:
        server.terminate()
        server.wait()

    print(f"Serving throughput, images/s; {os.cpu_count()} CPU(s), TF {tf.__version__}, Keras {keras.__version__}.")
    print("| model | batch | model.predict | SavedModel in process | HTTP uint8 JSON | HTTP JSON, 4 clients "
          "| HTTP PNG b64 | HTTP / predict |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['batch']} | {r['keras_predict']:.1f} | {r['saved_model']:.1f} | "
              f"{r['http_json_1']:.1f} | {r['http_json_4']:.1f} | {r['http_png_1']:.1f} | "
              f"{r['http_json_1'] / r['keras_predict']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
