"""The REST server under the worst mix of requests: peak memory, and how fast bad requests are answered.

Run by hand:  python -m benchmarks.serving_limits [--rounds 2]
              python -m benchmarks.serving_limits --case stalled   # stalled clients only (about 1 minute)

Exports the shipped photo translator (`cartoongan_photo2anime`, fully
convolutional: its memory grows with the pixels) and the DCGAN preset, starts
`python -m keras_animegan.serve` on 127.0.0.1 with its default limits, and sends
from 8 client threads at once, `--rounds` times:

- bad requests: decompression bombs of every kind (a real 1.2 MB PNG of
  20,000 x 20,000 black pixels; GIF frames larger than the logical screen,
  first and second frame; an APNG frame, an animated WebP frame, a TIFF page,
  and PNG, JPEG, BMP and WebP headers, all claiming 12,000 x 12,000 or more),
  a JSON body nested 5,000 deep, a body over `--max_request_bytes`, a request
  over the pixel budget (17 images of 1024 x 1024), a batch over
  `--max_batch_size`;
- good requests at the documented limits: the largest uint8 JSON body under
  32 MiB (1 x 1400 x 1400 x 3, 31 MB), 16 photos of 1024 x 1024 in one request (the
  whole pixel budget), 256 generated avatars, and small photos;
- 2 slow clients that send half a body and stop (answered 408 after the read
  timeout).

`--case stalled` (written to `benchmarks/results/serving_stalled.json`): with 32
clients that announce a body and send none, and 50 that send their headers a
byte at a time, how fast ten `:predict` requests of the DCGAN are answered; how
fast a `Content-Length` over the limit gets 413; and how long the slow-header
connections stay open (capped at 60 s). Goal: `:predict` 200 within 2 s,
413 within 1 s.

A good request answered 503 (server busy) is retried after its `Retry-After`,
as a client should; its latency includes the wait. Goal: every bad request
answers 4xx in <= 5 s, every good request is answered 200, and the server's
peak resident memory (`VmHWM`) stays under 2 GB. Writes
`benchmarks/results/serving_limits.json`.
"""

import argparse
import base64
import concurrent.futures
import io
import json
import os
import socket
import struct
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks import harness  # noqa: E402
from benchmarks import machine  # noqa: E402
from benchmarks.harness import free_port  # noqa: E402
from tests.bombs import all_bombs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GOAL_SECONDS, GOAL_RSS_MB = 5.0, 2048


def png_bomb(height=20000, width=20000):
    """A valid RGB PNG of black pixels, `height` x `width`, compressed (about 1.2 MB at 20,000 x 20,000)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" * (1 + 3 * width)  # filter byte 0, then black RGB
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)] + [compressor.flush()]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


def png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data):
    return {"b64": base64.b64encode(data).decode()}


def post(url, body, retry_until=None):
    """(status, seconds, error message); a 503 is retried after Retry-After until `retry_until`."""
    start = time.perf_counter()
    while True:
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                response.read()
                return response.status, time.perf_counter() - start, ""
        except urllib.error.HTTPError as error:
            message = json.loads(error.read() or b"{}").get("error", "")
            if error.code == 503 and retry_until is not None and time.time() < retry_until:
                time.sleep(float(error.headers.get("Retry-After", "1")))
                continue
            return error.code, time.perf_counter() - start, message[:160]
        except (urllib.error.URLError, ConnectionError) as error:
            return 0, time.perf_counter() - start, f"{type(error).__name__}: {error}"[:160]


def slow_client(port, path):
    """Announces 100 kB, sends 10 bytes, stops; returns (status, seconds)."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100000\r\n\r\n{\"instanc".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return (int(data.split(b" ")[1]) if data else 0), time.perf_counter() - start


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_server(export_dir, port, log):
    import subprocess

    return harness.start_server(export_dir, port, "photo2anime", timeout=300, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT)


def jpeg(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def requests_mix():
    """`[(name, path, body bytes, want)]`: want is "4xx" or 200."""
    from skimage import data

    rng = np.random.default_rng(0)
    astronaut = np.asarray(Image.fromarray(data.astronaut()).resize((1024, 1024), Image.Resampling.BICUBIC))
    flat = np.full((1024, 1024, 3), 128, np.uint8)
    photo = "/v1/models/photo2anime:predict"
    mix = [("PNG bomb 20000^2 (real, 1.2 MB)", photo,
            {"signature_name": "translate_bytes", "instances": [b64(png_bomb())]}, "4xx")]
    for name, data in all_bombs(16384).items():
        mix.append((f"bomb {name}", photo, {"signature_name": "translate_bytes", "instances": [b64(data)]}, "4xx"))
    mix += [
        ("JSON nested 5,000 deep", photo, b'{"instances": ' + b"[" * 5000 + b"]" * 5000 + b"}", "4xx"),
        ("body over 32 MiB", photo, json.dumps({"instances": [[0.0] * 16] * 200_000}).encode() * 4, "4xx"),
        ("17 images of 1024^2: over the pixel budget", photo,
         {"signature_name": "translate_bytes", "instances": [b64(jpeg(flat))] * 17}, "4xx"),
        ("batch of 257 over --max_batch_size", "/v1/models/dcgan:predict",
         {"instances": rng.standard_normal((257, 100)).round(2).tolist()}, "4xx"),
        ("max JSON: 1x1400x1400x3 uint8", photo,
         {"instances": rng.integers(0, 256, (1, 1400, 1400, 3)).tolist()}, 200),
        ("max batch: 16 photos of 1024^2 (JPEG)", photo,
         {"signature_name": "translate_bytes", "instances": [b64(jpeg(astronaut))] * 16}, 200),
        ("256 avatars", "/v1/models/dcgan:predict", {"signature_name": "generate_images",
                                                     "inputs": {"count": 256, "seed": 1}}, 200),
        ("small photo 256^2", photo, {"signature_name": "translate_bytes", "instances": [
            b64(png(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)))]}, 200),
    ]
    encoded = []
    for name, path, body, want in mix:
        body = json.dumps(body).encode() if isinstance(body, dict) else body
        encoded.append((name, path, body, want))
    return encoded


def percentile(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def stalled_case(export_dir, work, stalled=32, slow_headers=50, cap=60.0):
    """The `--case stalled` figures (see the module docstring), against a server with its default flags."""
    port = free_port()
    with open(os.path.join(work, "server_stalled.log"), "w") as log:
        process = start_server(export_dir, port, log)
    base = f"http://127.0.0.1:{port}"
    body = json.dumps({"instances": [[0.0] * 100]}).encode()
    try:
        holders = []
        for _ in range(stalled):
            sock = socket.create_connection(("127.0.0.1", port), timeout=cap + 10)
            sock.sendall(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            holders.append(sock)
        slow = []
        for _ in range(slow_headers):
            sock = socket.create_connection(("127.0.0.1", port), timeout=cap + 10)
            sock.sendall(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
            slow.append(sock)
        opened = time.perf_counter()
        time.sleep(0.5)
        predicts = [post(base + "/v1/models/dcgan:predict", body)[:2] for _ in range(10)]
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=cap) as sock:
            sock.sendall(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{")
            try:
                head = sock.recv(4096)
            except socket.timeout:
                head = b""
        too_large = (int(head.split(b" ")[1]) if head else 0, time.perf_counter() - start)
        closed_after = []
        for sock in slow:
            sock.settimeout(max(0.1, cap - (time.perf_counter() - opened)))
            try:
                sock.recv(4096)
                closed_after.append(time.perf_counter() - opened)
            except socket.timeout:
                closed_after.append(None)
        for sock in holders + slow:
            sock.close()
        alive = process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=30)
    closed = [t for t in closed_after if t is not None]
    return {
        "stalled_body_clients": stalled, "slow_header_clients": slow_headers,
        "predict_statuses": sorted({s for s, _ in predicts}), "predict_max_seconds": max(t for _, t in predicts),
        "over_limit_status": too_large[0], "over_limit_seconds": too_large[1],
        "slow_headers_closed": len(closed), "slow_headers_closed_max_seconds": max(closed) if closed else None,
        "slow_headers_cap_seconds": cap, "server_alive": alive,
        "goal": ":predict 200 within 2 s with the clients stalled; an over-limit Content-Length 413 within 1 s",
        "goal_met": bool(predicts and all(s == 200 and t <= 2.0 for s, t in predicts) and too_large[0] == 413
                         and too_large[1] < 1.0 and alive),
        "machine": machine.describe(),
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="Times the whole mix is sent.")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--case", choices=["all", "stalled"], default="all",
                        help="all: the mix, then the stalled clients; stalled: the stalled clients only.")
    parser.add_argument("--json", default=os.path.join(HERE, "results", "serving_limits.json"))
    parser.add_argument("--stalled_json", default=os.path.join(HERE, "results", "serving_stalled.json"))
    return parser.parse_args(argv)


def send_mix(base, port, mix, args):
    """The mix, `args.rounds` times from `args.clients` threads, with two slow clients beside it: the results,
    the slow clients' `(status, seconds)` and the wall time."""
    results, slow = [], []
    jobs = [item for _ in range(args.rounds) for item in mix]
    slow_threads = [threading.Thread(target=lambda: slow.append(slow_client(port, "/v1/models/photo2anime:predict")))
                    for _ in range(2)]
    start = time.perf_counter()
    for thread in slow_threads:
        thread.start()
    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        futures = {pool.submit(post, base + path, body, time.time() + 600 if want == 200 else None):
                   (name, want) for name, path, body, want in jobs}
        for future in concurrent.futures.as_completed(futures):
            name, want = futures[future]
            status, seconds, message = future.result()
            results.append({"request": name, "want": want, "status": status, "seconds": seconds, "error": message})
    for thread in slow_threads:
        thread.join()
    return results, slow, time.perf_counter() - start


def result_rows(results, slow):
    """One row per kind of request: the statuses it got and its slowest answer."""
    rows = {}
    for r in results:
        row = rows.setdefault(r["request"], {"request": r["request"], "want": r["want"], "statuses": set(),
                                             "max_seconds": 0.0})
        row["statuses"].add(r["status"])
        row["max_seconds"] = max(row["max_seconds"], r["seconds"])
    rows = [dict(row, statuses=sorted(row["statuses"])) for row in rows.values()]
    rows.append({"request": "slow client (half a body, then nothing)", "want": "4xx",
                 "statuses": sorted({s for s, _ in slow}), "max_seconds": max(t for _, t in slow)})
    return rows


def summary(args, results, slow, wall, server):
    """The JSON result: the rows, the latencies, the server's memory and whether it stayed up, the goal."""
    bad = [r for r in results if r["want"] == "4xx"]
    good = [r for r in results if r["want"] == 200]
    bad_ok = all(400 <= r["status"] < 500 and r["seconds"] <= GOAL_SECONDS for r in bad)
    good_ok = all(r["status"] == 200 for r in good)
    return {
        "rounds": args.rounds, "clients": args.clients, "slow_clients": len(slow), "requests": len(results),
        "wall_seconds": wall, "rows": result_rows(results, slow),
        "bad_max_seconds": max(r["seconds"] for r in bad), "bad_p99_seconds": percentile([r["seconds"] for r in bad], 99),
        "good_p99_seconds": percentile([r["seconds"] for r in good], 99),
        "all_p99_seconds": percentile([r["seconds"] for r in results], 99),
        "server_rss_mb_at_start": server["rss_at_start"], "server_peak_rss_mb": server["peak"],
        "server_alive": server["alive"], "normal_request_after": server["after"],
        "limits": "server defaults: --max_request_bytes 32 MiB, --max_request_pixels 4096^2, --max_batch_size 256, "
                  "--max_concurrent_requests 1, --max_queued_requests 16, --read_timeout 30 s",
        "goal": f"bad requests 4xx in <= {GOAL_SECONDS:g} s; good requests 200; peak RSS < {GOAL_RSS_MB} MB",
        "goal_met": bool(bad_ok and good_ok and server["peak"] < GOAL_RSS_MB and server["alive"]
                         and server["after"] == 200),
        "machine": machine.describe(),
    }


def run_mix(export_dir, work, args):
    """Starts the server, sends the mix, and returns the summary."""
    mix = requests_mix()
    print(f"{len(mix)} kinds of request, {sum(len(b) for _, _, b, _ in mix) / 1e6:.0f} MB in all, x {args.rounds}")
    port = free_port()
    with open(os.path.join(work, "server.log"), "w") as log:
        process = start_server(export_dir, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        rss_at_start = peak_rss_mb(process.pid)
        results, slow, wall = send_mix(base, port, mix, args)
        server = {"rss_at_start": rss_at_start, "after": post(base + "/v1/models/photo2anime:predict", mix[-1][2])[0],
                  "peak": peak_rss_mb(process.pid), "alive": process.poll() is None}
    finally:
        process.terminate()
        process.wait(timeout=30)
    return summary(args, results, slow, wall, server)


def main(argv=None):
    args = parse_args(argv)
    from keras_animegan import CartoonGAN
    from keras_animegan import DCGAN
    from keras_animegan.export import export_generator

    work = tempfile.mkdtemp(prefix="serving_limits_")
    export_dir = os.path.join(work, "export")
    export_generator(CartoonGAN.from_preset("cartoongan_photo2anime"), export_dir, "photo2anime")
    export_generator(DCGAN.from_preset("dcgan_avatars_64"), export_dir, "dcgan")
    stalled = stalled_case(export_dir, work)
    print(json.dumps(stalled, indent=1))
    os.makedirs(os.path.dirname(args.stalled_json), exist_ok=True)
    with open(args.stalled_json, "w") as f:
        json.dump(stalled, f, indent=2)
    if args.case == "stalled":
        return 0 if stalled["goal_met"] else 1
    result = run_mix(export_dir, work, args)
    from benchmarks.table import markdown_table

    print(markdown_table(["request", "want", "statuses", "max s"],
                         [[r["request"], r["want"], ", ".join(map(str, r["statuses"])), f"{r['max_seconds']:.2f}"]
                          for r in result["rows"]]))
    print(f"\nbad requests: max {result['bad_max_seconds']:.2f} s; good p99 {result['good_p99_seconds']:.1f} s; "
          f"server peak RSS {result['server_peak_rss_mb']:.0f} MB (at start {result['server_rss_mb_at_start']:.0f} "
          f"MB); wall {result['wall_seconds']:.0f} s")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print("goal met" if result["goal_met"] else "GOAL NOT MET")
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
