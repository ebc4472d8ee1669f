"""The REST server under load: successful predicts at 8 and 64 clients, with and without 1,000 slow clients.

Run by hand:  python -m benchmarks.serving_load [--seconds 15] [--slow 1000]

Exports the shipped DCGAN preset (`dcgan_avatars_64`), starts `keras-animegan serve` on 127.0.0.1 with
its default limits, and measures with `wrk` (Debian's `wrk` package) how many `:predict` requests of one
avatar are answered 200 per second at 8 and at 64 connections. 64 is more than the server admits (1
running + 16 queued by default): the rest are turned away with 503, and that must cost little.

Then, in a separate process, `--slow` clients (default 1,000) each announce a 1,000-byte body and send
one byte every 20 s, reconnecting whenever the server closes or refuses them; while they are open, a
client on the same host sends a valid predict every 0.5 s (the latency of each is recorded) and `wrk`
measures again. Goal: every valid predict answered 200 within 2 s, successful predicts at 64 clients
>= 0.8x the rate at 8, and no 500 ever.

Writes `benchmarks/results/serving_load.json` and the table in `docs/serving.md` (between the
`<!-- serving load -->` markers). The numbers depend on the machine: it is named in the results.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import harness  # noqa: E402
from benchmarks import machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = os.path.join(ROOT, "benchmarks", "results", "serving_load.json")
DOC = os.path.join(ROOT, "docs", "serving.md")
BODY = json.dumps({"instances": [[0.0] * 100]})


def wrk(url, connections, seconds):
    """`wrk` POSTing one avatar's noise: `{requests, ok_per_s, non_2xx, p50_ms, p99_ms}`."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    with script:
        script.write(f'wrk.method = "POST"\nwrk.body = \'{BODY}\'\n'
                     'wrk.headers["Content-Type"] = "application/json"\n')
    threads = min(connections, 2)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s",
                          script.name, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    total, duration = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).groups()[:2]
    unit = re.search(r"\d+ requests in [\d.]+(m?s)", out).group(1)
    duration = float(duration) / (1000 if unit == "ms" else 1)
    non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
    errors = re.search(r"Socket errors: (.*)", out)

    def percentile(name):
        match = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", out)
        if not match:
            return None
        return round(float(match[1]) * {"us": 1e-3, "ms": 1, "s": 1e3}[match[2]], 1)

    return {"connections": connections, "requests": int(total), "seconds": round(duration, 1),
            "ok_per_s": round((int(total) - non_2xx) / duration, 1), "non_2xx_per_s": round(non_2xx / duration, 1),
            "p50_ms": percentile(50), "p99_ms": percentile(99), "socket_errors": errors[1] if errors else ""}


async def _slow_connection(port, stop, stats):
    """One slow client: headers and a 1,000-byte Content-Length, then a byte every 20 s; reconnects when closed."""
    request = (b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: 1000\r\n\r\n")
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            stats["refused"] += 1
            await asyncio.sleep(0.05)
            continue
        stats["connects"] += 1
        try:
            writer.write(request)
            while time.monotonic() < stop:
                writer.write(b" ")
                await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(1024), 20)
                except asyncio.TimeoutError:
                    continue
                stats["closed" if not data else "answered"] += 1
                break
        except OSError:
            stats["reset"] += 1
        finally:
            writer.close()


async def _slow_clients(port, count, seconds):
    stats = {"connects": 0, "refused": 0, "closed": 0, "answered": 0, "reset": 0}
    stop = time.monotonic() + seconds
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.ensure_future(_slow_connection(port, stop, stats)))
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    return stats


def slow_clients_main(port, count, seconds):
    """The slow clients' process: runs them for `seconds`, then prints what happened to them."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(asyncio.run(_slow_clients(port, count, seconds))), flush=True)


def probe(base, seconds, every=0.5):
    """A valid predict every `every` s for `seconds`: each one's status and latency."""
    results, stop = [], time.monotonic() + seconds
    while time.monotonic() < stop:
        start = time.perf_counter()
        request = urllib.request.Request(f"{base}/dcgan:predict", data=BODY.encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            status = type(error).__name__
        results.append({"status": status, "seconds": round(time.perf_counter() - start, 3)})
        time.sleep(max(0.0, every - (time.perf_counter() - start)))
    return results


def under_slow_clients(base, port, args):
    """wrk and the probe while `args.slow` slow clients hold (and retake) connections."""
    slow = subprocess.Popen([sys.executable, "-m", "benchmarks.serving_load", "--slow-clients-only",
                             f"--port={port}", f"--slow={args.slow}", f"--seconds={args.slow_seconds}"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    time.sleep(min(10.0, args.slow_seconds / 4))  # let them connect
    probes = probe(base, args.slow_seconds / 2)
    rows = [dict(wrk(f"{base}/dcgan:predict", c, args.seconds), slow_clients=args.slow) for c in (8, 64)]
    out, _ = slow.communicate(timeout=args.slow_seconds + 120)
    latencies = sorted(p["seconds"] for p in probes)
    return rows, {
        "slow_clients": args.slow, "probes": len(probes), "probes_200": sum(p["status"] == 200 for p in probes),
        "probe_statuses": sorted({str(p["status"]) for p in probes}), "probe_max_s": latencies[-1],
        "probe_p50_s": latencies[len(latencies) // 2], "slow_client_events": json.loads(out.splitlines()[-1]),
    }


def table(result):
    lines = ["| clients | slow clients open | predicts 200/s | turned away (503)/s | p50 ms | p99 ms |",
             "|---|---|---|---|---|---|"]
    for row in result["rows"]:
        lines.append(f"| {row['connections']} | {row.get('slow_clients', 0):,} | {row['ok_per_s']} | "
                     f"{row['non_2xx_per_s']} | {row['p50_ms']} | {row['p99_ms']} |")
    p = result["probe"]
    lines.append("")
    lines.append(f"With {p['slow_clients']:,} slow clients open: {p['probes_200']} of {p['probes']} valid predicts "
                 f"from the same host answered 200, the slowest in {p['probe_max_s']} s (median "
                 f"{p['probe_p50_s']} s). Server errors (5xx) during the run: {result['server_errors']}. "
                 f"Machine: {result['machine']}.")
    return "\n".join(lines)


def write_doc(text):
    with open(DOC) as f:
        doc = f.read()
    start, end = "<!-- serving load -->", "<!-- /serving load -->"
    if start not in doc:
        return
    head, rest = doc.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(DOC, "w") as f:
        f.write(f"{head}{start}\n{text}\n{end}{tail}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="Length of each wrk run.")
    parser.add_argument("--slow", type=int, default=1000, help="Slow clients.")
    parser.add_argument("--slow_seconds", type=float, default=90.0, help="How long the slow clients stay.")
    parser.add_argument("--slow-clients-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=RESULT)
    args = parser.parse_args(argv)
    if args.slow_clients_only:
        return slow_clients_main(args.port, args.slow, args.slow_seconds)
    if shutil.which("wrk") is None:
        sys.exit("error: this benchmark needs wrk (apt install wrk).")

    from keras_animegan import DCGAN
    from keras_animegan.export import export_generator

    export_dir = tempfile.mkdtemp()
    export_generator(DCGAN.from_preset("dcgan_avatars_64"), export_dir, "dcgan")
    port = harness.free_port()
    log = open(os.path.join(export_dir, "server.log"), "w+")
    server = harness.start_server(export_dir, port, "dcgan", cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1/models"
    try:
        wrk(f"{base}/dcgan:predict", 8, 3)  # warm-up
        rows = [wrk(f"{base}/dcgan:predict", c, args.seconds) for c in (8, 64)]
        slow_rows, probe_result = under_slow_clients(base, port, args) if args.slow else ([], None)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log.seek(0)
    server_log = log.read()
    result = {"machine": machine.describe(), "rows": rows + slow_rows, "probe": probe_result,
              "ratio_64_to_8": round(rows[1]["ok_per_s"] / max(rows[0]["ok_per_s"], 1e-9), 2),
              "server_errors": len(re.findall(r"Unexpected \w+ serving|Exception in ASGI application", server_log)),
              "server_log_bytes": len(server_log)}
    harness.save_json(args.json, result)
    text = table(result)
    print(text)
    write_doc(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
