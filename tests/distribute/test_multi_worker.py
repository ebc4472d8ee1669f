"""Two `python -m train.dcgan --strategy=multi_worker` processes on 127.0.0.1 train together; the chief exports.

Each process gets its own TF_CONFIG (same cluster, its own task index) and
its own --model_dir, so the test can see that the non-chief worker writes
nothing. Both processes are bounded by a timeout and killed on any failure.
"""

import json
import os
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

from tests import forked

pytestmark = pytest.mark.slow  # see setup.cfg: subprocesses, servers or many traced models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT_S = 300


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("multi_worker")
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = []
    for index in range(2):
        env = dict(os.environ)
        env["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        command = [
            sys.executable, "-m", "train.dcgan", "--strategy=multi_worker", f"--model_dir={base / f'w{index}'}",
            "--image_size=32", "--base_filters=4", "--latent_dim=16", "--batch_size=8", "--epochs=2",
            "--steps_per_epoch=2", "--num_samples=8", "--verbose=0", "--checkpoint_every=1",
        ]
        log = open(base / f"w{index}.log", "w")
        processes.append((forked.start(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    codes = []
    try:
        for process, _ in processes:
            codes.append(process.wait(timeout=TIMEOUT_S))
    finally:
        for process, log in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    logs = [(base / f"w{index}.log").read_text() for index in range(2)]
    return base, codes, logs


def test_two_workers_train_and_only_the_chief_writes(cluster_run):
    base, codes, logs = cluster_run
    assert codes == [0, 0], "\n\n".join(log[-3000:] for log in logs)
    chief, worker = base / "w0", base / "w1"
    export = chief / "export" / "dcgan" / "1"
    assert (export / "saved_model.pb").exists()
    assert (chief / "checkpoints" / "latest.weights.h5").exists()
    assert (chief / "samples").is_dir() and (chief / "losses.csv").exists()
    assert (chief / "dcgan.keras").exists()
    # The non-chief worker wrote nothing at all.
    assert not worker.exists() or not any(worker.rglob("*")), sorted(map(str, worker.rglob("*")))
    assert "as a worker" in logs[1]
    # Both replicas trained: 2 epochs x 2 steps, one global step counter.
    rows = (chief / "losses.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 4
    loaded = tf.saved_model.load(str(export))  # keep a reference: its functions use its variables
    images = loaded.serve(tf.random.normal((3, 16)))["images"]
    assert images.shape == (3, 32, 32, 3)
