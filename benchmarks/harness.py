"""What the benchmarks share: a free port, a server process that answers, the worker protocol, step timing.

- `free_port()` and `start_until_ready(command, url)`: a server (`keras-animegan serve`, the demo) in a
  subprocess, returned once `url` answers;
- `run_worker(command, timeout, env)` / `report(result)`: one measurement in its own process (a
  backend, a framework), whose result is its `RESULT {json}` stdout line;
- `seconds_per_step(model, dataset, steps)`: training steps timed inside one `fit`.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_until_ready(command, url, timeout=180.0, **popen):
    """`command` in a subprocess; returns `(process, seconds until url answered 200)`, or kills it and raises."""
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    begin = time.perf_counter()
    process = subprocess.Popen(command, **popen)
    while time.perf_counter() - begin < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{command[2:4]} exited with status {process.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, time.perf_counter() - begin
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"no answer on {url} after {timeout} s")


def start_server(export_dir, port, model, *flags, timeout=180.0, **popen):
    """`python -m keras_animegan.serve` over `export_dir` on 127.0.0.1:`port`, once `model` answers."""
    command = [sys.executable, "-m", "keras_animegan.serve", f"--model_base_path={export_dir}",
               f"--rest_api_port={port}", "--rest_api_host=127.0.0.1", *flags]
    return start_until_ready(command, f"http://127.0.0.1:{port}/v1/models/{model}", timeout, **popen)[0]


def run_worker(command, timeout, env=None, with_output=False):
    """Runs a worker process; its result is the JSON of its last `RESULT ` line, else `{"error": ...}`
    (`(result, its standard output)` with `with_output`)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        result, output = {"error": f"timeout after {timeout} s"}, ""
    else:
        output = done.stdout
        result = next((json.loads(line[len("RESULT "):]) for line in reversed(output.splitlines())
                       if line.startswith("RESULT ")), None)
        if result is None:
            result = {"error": (done.stderr or done.stdout)[-800:]}
    return (result, output) if with_output else result


def save_json(path, result):
    """Writes a benchmark's result to `path` (None: nowhere)."""
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=2)


def report(result):
    """What a worker prints for `run_worker`."""
    print("RESULT " + json.dumps(result), flush=True)


def seconds_per_step(model, dataset, steps, warmup=1, windows=1):
    """Seconds per training step, timed by a callback inside one `fit` of `warmup + windows * steps` steps.

    One `fit`: Keras 3.15 retraced the train function on every other `fit`
    call (a flat cost of seconds per call), which a fit per timing window
    would count as step time. The first `warmup` steps are not timed; with
    several `windows` of `steps` steps, the fastest window counts.
    """
    import keras

    ends = []
    stamp = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + windows * steps, verbose=0, callbacks=[stamp])
    return min(ends[warmup - 1 + (w + 1) * steps] - ends[warmup - 1 + w * steps] for w in range(windows)) / steps
