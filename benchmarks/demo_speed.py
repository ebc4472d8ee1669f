"""`keras-animegan demo` on these 2 cores: start-up to the first page, and one Generate of 64 avatars.

    python -m benchmarks.demo_speed [--runs 3] [--calls 10]

Start-up: `python -m keras_animegan demo --port P` is started `--runs` times as a fresh process (the
shipped presets, warm-up on, as a user starts it); the time from the process start to the first
HTTP 200 of the page. Generate: then, on the last server, `--calls` calls of `/generate` with 64
avatars through `gradio_client` (each is the whole round trip: queue, generator, grid PNG, zip of 64
PNGs, download of both). Targets (issue 15): first page under 15 s; 64 avatars under 2 s after
warm-up. Prints a table and writes `benchmarks/results/demo_2cpu.json`.
"""

import argparse
import json
import os
import statistics
import sys
import time

from benchmarks import harness
from benchmarks import machine
from benchmarks.table import markdown_table

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "demo_2cpu.json")
STARTUP_TARGET_S, GENERATE_TARGET_S = 15.0, 2.0


def start(port, timeout=120.0):
    """A demo process on `port` and the seconds from its start to the page's first 200."""
    return harness.start_until_ready([sys.executable, "-m", "keras_animegan", "demo", "--port", str(port)],
                                     f"http://127.0.0.1:{port}/", timeout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="Fresh starts to time (default 3).")
    parser.add_argument("--calls", type=int, default=10, help="Generate calls to time (default 10).")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"  # gradio_client's Client would otherwise phone home
    from gradio_client import Client

    startups, process = [], None
    for _ in range(args.runs):
        if process is not None:
            process.terminate()
            process.wait()
        port = harness.free_port()
        process, seconds = start(port)
        startups.append(seconds)
        print(f"start-up to first page: {seconds:.2f} s", flush=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        client.predict(0, 64, 1.0, api_name="/generate")  # the page's own first call, after the warm-up
        calls = []
        for seed in range(args.calls):
            begin = time.perf_counter()
            client.predict(seed, 64, 1.0, api_name="/generate")
            calls.append(time.perf_counter() - begin)
    finally:
        process.terminate()
        process.wait()
    result = {
        "machine": machine.describe(),
        "startup_s": {"runs": startups, "median": statistics.median(startups), "max": max(startups),
                      "target": STARTUP_TARGET_S},
        "generate_64_s": {"calls": calls, "median": statistics.median(calls), "max": max(calls),
                          "target": GENERATE_TARGET_S},
    }
    print()
    print(markdown_table(["measure", "median", "max", "target"], [
        [f"start-up to first page (s, {args.runs} fresh processes)", f"{result['startup_s']['median']:.2f}",
         f"{max(startups):.2f}", f"< {STARTUP_TARGET_S:g}"],
        [f"Generate 64 avatars, gradio_client round trip (s, {args.calls} calls)",
         f"{result['generate_64_s']['median']:.2f}", f"{max(calls):.2f}", f"< {GENERATE_TARGET_S:g}"]]))
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(result, f, indent=2)
    ok = max(startups) < STARTUP_TARGET_S and max(calls) < GENERATE_TARGET_S
    print(f"\n{'within' if ok else 'OVER'} the targets; wrote {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
