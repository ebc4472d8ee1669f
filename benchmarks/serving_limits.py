"""Hostile requests against `python -m keras_animegan.serve`: time to answer and the server's peak memory.

Run by hand:  python -m benchmarks.serving_limits [--requests 10] [--clients 3]

Exports a tiny CycleGAN generator, starts the server on 127.0.0.1 in a
subprocess and sends, from `--clients` threads at once:
- decompression bombs: real 1.2 MB PNGs of 20,000 x 20,000 black pixels
  (1.2 GB once decoded) to `translate_bytes`;
- a JSON body nested 5,000 deep;
- a 200,000-row body above `--max_request_bytes`.
Goal (issue 14): 10 bombs answered 4xx within 5 s in all, server resident
memory under 2 GB (its peak, `VmHWM`), and the server still answers a normal
request afterwards. Writes `benchmarks/results/serving_limits.json`.
"""

import argparse
import base64
import concurrent.futures
import json
import os
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks.serving_throughput import free_port  # noqa: E402
from benchmarks.serving_throughput import start_server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def png_bomb(height=20000, width=20000):
    """A valid RGB PNG of black pixels, `height` x `width`, compressed (about 1.2 MB at 20,000 x 20,000)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" * (1 + 3 * width)  # filter byte 0, then black RGB
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)] + [compressor.flush()]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


def post(url, body):
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except (urllib.error.URLError, ConnectionError) as error:
        return 0, {"error": f"{type(error).__name__}: {error}"}


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--json", default=os.path.join(HERE, "results", "serving_limits.json"))
    args = parser.parse_args(argv)

    from keras_animegan.export import export_generator
    from keras_animegan.models import resnet_generator

    work = tempfile.mkdtemp(prefix="serving_limits_")
    generator = resnet_generator(image_size=32, base_filters=4, num_blocks=1)
    export_generator(generator, os.path.join(work, "export"), "cyclegan")
    t0 = time.perf_counter()
    bomb = png_bomb()
    print(f"bomb: {len(bomb) / 1e6:.2f} MB PNG of 20000 x 20000 (built in {time.perf_counter() - t0:.1f} s)")
    port = free_port()
    process = start_server(os.path.join(work, "export"), port, model="cyclegan", max_request_bytes=32 * 1024 * 1024)
    url = f"http://127.0.0.1:{port}/v1/models/cyclegan:predict"
    try:
        base_rss = peak_rss_mb(process.pid)
        bomb_body = json.dumps({"signature_name": "translate_bytes",
                                "instances": [{"b64": base64.b64encode(bomb).decode()}]}).encode()
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            answers = list(pool.map(lambda _: post(url, bomb_body), range(args.requests)))
        bomb_seconds = time.perf_counter() - start
        nested = b'{"instances": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        start = time.perf_counter()
        nested_status = post(url, nested)[0]
        nested_seconds = time.perf_counter() - start
        rows = json.dumps({"instances": [[0.0] * 16] * 200_000}).encode() * 3  # 42 MB, over the 32 MB limit
        start = time.perf_counter()
        rows_status, rows_body = post(url, rows)
        rows_seconds = time.perf_counter() - start
        pixels = np.zeros((1, 32, 32, 3), np.uint8).tolist()
        after = post(url, json.dumps({"instances": pixels}).encode())[0]
        result = {
            "bombs": args.requests, "clients": args.clients, "bomb_mb": len(bomb) / 1e6,
            "bomb_statuses": sorted({status for status, _ in answers}),
            "bomb_error": answers[0][1].get("error", "")[:200],
            "bomb_seconds_total": bomb_seconds,
            "nested_status": nested_status, "nested_seconds": nested_seconds,
            "rows_status": rows_status, "rows_body_mb": len(rows) / 1e6, "rows_seconds": rows_seconds,
            "rows_error": rows_body.get("error", "")[:200],
            "normal_request_after": after,
            "server_rss_mb_at_start": base_rss, "server_peak_rss_mb": peak_rss_mb(process.pid),
            "server_alive": process.poll() is None,
            "goal": "10 bombs answered 4xx within 5 s in all; peak RSS < 2048 MB",
            "machine": "2 CPU cores (AVX-512 bf16), TF 2.21, Keras 3.15",
        }
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"{'request':<34}{'status':>10}{'seconds':>10}")
    print(f"{f'{args.requests} bombs ({args.clients} at once)':<34}{str(result['bomb_statuses']):>10}"
          f"{result['bomb_seconds_total']:>10.2f}")
    print(f"{'JSON nested 5,000 deep':<34}{nested_status:>10}{nested_seconds:>10.2f}")
    print(f"{'200,000 rows x 3 (42 MB body)':<34}{rows_status:>10}{rows_seconds:>10.2f}")
    print(f"{'normal request afterwards':<34}{after:>10}")
    print(f"server peak RSS {result['server_peak_rss_mb']:.0f} MB (at start {base_rss:.0f} MB)")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    ok = (result["bomb_statuses"] == [400] and bomb_seconds < 5 and result["server_peak_rss_mb"] < 2048
          and nested_status == 400 and rows_status == 413 and after == 200)
    print("goal met" if ok else "GOAL NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
