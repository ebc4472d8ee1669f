"""A run folder under stress: two trainers at once, a stale lock, a repaired loss log, a disk that fills up."""

import contextlib
import csv
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from keras_animegan.callbacks.loss_logger import truncate_csv
from keras_animegan.utils.run_folder import RunLock
from keras_animegan.utils.run_folder import RunLockedError
from tests import forked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}


def trainer(model_dir, steps, checkpoint_every=5, image_size=32, base_filters=2):
    return [sys.executable, "-m", "train.dcgan", f"--model_dir={model_dir}", "--epochs=1",
            f"--steps_per_epoch={steps}", "--batch_size=2", f"--image_size={image_size}", "--latent_dim=8",
            f"--base_filters={base_filters}", "--num_samples=4", f"--checkpoint_every={checkpoint_every}",
            "--verbose=0", "--export_formats=none"]


def steps_logged(model_dir):
    with open(os.path.join(model_dir, "losses.csv")) as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


def wait_for(condition, process, timeout=180):
    deadline = time.time() + timeout
    while not condition():
        assert process.poll() is None, "the trainer ended too early"
        assert time.time() < deadline, "timed out"
        time.sleep(0.2)


def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# ------------------------------------------------------------------------ the lock
def test_lock_names_its_holder_and_is_released(tmp_path):
    with RunLock(tmp_path / "run"):
        with pytest.raises(RunLockedError, match=f"PID {os.getpid()} on host '{socket.gethostname()}'"):
            RunLock(tmp_path / "run").acquire()  # a second open file: flock refuses it, also in one process
    with RunLock(tmp_path / "run"):  # released: taken again
        pass


def test_stale_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path, caplog):
    run = tmp_path / "run"
    run.mkdir()
    pid = dead_pid()
    (run / ".lock").write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "since": 0}))
    with caplog.at_level("WARNING", logger="keras_animegan"):
        with RunLock(run) as lock:
            assert lock.holder()["pid"] == os.getpid()
    assert f"PID {pid}" in caplog.text and "no longer running" in caplog.text


def test_second_trainer_on_one_model_dir_exits_at_once_naming_the_first(tmp_path):
    """Before: the second crashed with a raw BlockingIOError at its first checkpoint, and losses.csv held
    steps 1-20 twice, interleaved."""
    import signal

    model_dir = tmp_path / "run"
    first = forked.start(trainer(model_dir, 200, checkpoint_every=50), env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: os.path.exists(model_dir / "losses.csv") and steps_logged(model_dir), first)
        # Paused mid-run (still holding the folder) while the second starts: it must not wait for the first.
        first.send_signal(signal.SIGSTOP)
        assert steps_logged(model_dir)[-1] < 200, "the first trainer finished before the second started"
        started = time.time()
        second = forked.run(trainer(model_dir, 200, checkpoint_every=50), env=ENV, cwd=ROOT, timeout=300)
        assert second.returncode == 2, second.stderr[-2000:]
        assert f"in use by another trainer: PID {first.pid} on host '{socket.gethostname()}'" in second.stderr
        assert "Traceback" not in second.stderr
        assert time.time() - started < 60  # it stops before building anything
        first.send_signal(signal.SIGCONT)
        assert first.wait(timeout=300) == 0, first.stderr.read()[-2000:]
    finally:
        first.kill()
        first.wait()
    assert steps_logged(model_dir) == list(range(1, 201))  # every step once, in order
    assert json.loads((model_dir / ".lock").read_text() or "{}") == {}  # released at the end


def test_resume_repairs_a_loss_log_with_repeated_steps(tmp_path):
    """A log written by two processes at once (steps twice, interleaved, a torn last line) comes back with
    each step once, in order, and nothing past the checkpoint."""
    path = tmp_path / "losses.csv"
    rows = [["step", "epoch", "d_loss"]]
    for step in range(1, 21):
        rows += [[str(step), "1", "0.5"], [str(step), "1", "0.7"]]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    with open(path, "a") as f:
        f.write("21,1,0.")
    truncate_csv(str(path), 15, "step")
    with open(path) as f:
        repaired = list(csv.DictReader(f))
    assert [int(r["step"]) for r in repaired] == list(range(1, 16))
    assert {r["d_loss"] for r in repaired} == {"0.7"}  # the last row written for a step wins


# ----------------------------------------------------------------------- full disk
@contextlib.contextmanager
def small_disk(path, size):
    """A tmpfs of `size` mounted at `path` (needs root, as in CI's container); None where mounting fails."""
    path.mkdir(parents=True)
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory):
    """Writes a ballast file until the disk is full; returns its path."""
    ballast = os.path.join(directory, "ballast.bin")
    with open(ballast, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return ballast


# Where no tmpfs can be mounted (not root): the same trainer, whose view of the free space drops to 0 once
# the first checkpoint exists. The checkpoint's space check then meets a full disk, as on a real one.
FULL_AFTER_FIRST_CHECKPOINT = """
import os, shutil, sys, threading, time
real, full = shutil.disk_usage, threading.Event()
shutil.disk_usage = lambda path: real(path)._replace(free=0) if full.is_set() else real(path)
def watch(path=sys.argv[1]):
    while not os.path.exists(path):
        time.sleep(0.05)
    full.set()
threading.Thread(target=watch, daemon=True).start()
from keras_animegan.train import dcgan
sys.exit(dcgan.main(sys.argv[2:]))
"""


def test_full_disk_ends_with_one_message_and_the_rerun_resumes(tmp_path):
    """Before: an OSError traceback, then a segfault (exit 139); a partial `saving.weights.h5` stayed behind
    and the rerun died on the still-full disk."""
    with small_disk(tmp_path / "disk", "40m") as mounted:
        model_dir = tmp_path / "disk" / "run"
        command = trainer(model_dir, 40, checkpoint_every=5, image_size=64, base_filters=16)
        checkpoint = model_dir / "checkpoints" / "latest.weights.h5"
        driver = [sys.executable, "-c", FULL_AFTER_FIRST_CHECKPOINT, str(checkpoint), *command[3:]]
        first = command if mounted else driver
        process = forked.start(first, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ballast = None
        try:
            if mounted:
                wait_for(lambda: checkpoint.exists() and len(steps_logged(model_dir)) >= 6, process)
                ballast = fill(str(tmp_path / "disk"))
            stderr = process.communicate(timeout=300)[1]
        finally:
            process.kill()
            process.wait()
        assert process.returncode == 3, stderr[-2000:]
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "the disk is full" in errors[0] and "MB free of" in errors[0], stderr[-2000:]
        assert "the last good checkpoint" in errors[0] and "is kept" in errors[0]
        assert "run the same command again to resume" in errors[0]
        assert "Traceback" not in stderr
        assert checkpoint.exists() and not (model_dir / "checkpoints" / "saving.weights.h5").exists()
        if ballast:
            os.remove(ballast)
        rerun = forked.run(command, env=ENV, cwd=ROOT, timeout=600)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert "Resuming from step" in rerun.stderr
        assert steps_logged(model_dir) == list(range(1, 41))


# A checkpoint write that fails half-way (here: a file-size limit, as a full disk does mid-file), at the level of the
# callback. Before, h5py wrote to the disk itself: the failure left a broken HDF5 handle behind, printed
# "Exception ignored ... Traceback" and could crash the interpreter at exit (CI saw exit -11).
WRITE_FAILS_MIDWAY = """
import errno, os, resource, signal, sys
import numpy as np
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from keras_animegan import DCGAN
from keras_animegan.callbacks import TrainingCheckpoint
model = DCGAN(latent_dim=8, image_size=32, base_filters=4, seed=1)
model.compile()
model.fit(np.zeros((2, 32, 32, 3), "float32"), batch_size=2, epochs=1, verbose=0)
checkpoint = TrainingCheckpoint(sys.argv[1])
checkpoint.set_model(model)
assert checkpoint.save()
size = os.path.getsize(checkpoint.path)
good = open(checkpoint.path, "rb").read()
checkpoint._check_space = lambda weights, tmp: None  # the space looked fine; the write itself fails
resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, resource.RLIM_INFINITY))
try:
    checkpoint.save()
except OSError as error:
    assert error.errno == errno.EFBIG, error
else:
    raise AssertionError("the write did not fail")
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
assert open(checkpoint.path, "rb").read() == good, "the last good checkpoint changed"
assert sorted(os.listdir(sys.argv[1])) == ["latest.weights.h5"], os.listdir(sys.argv[1])
model.load_weights(checkpoint.path)
print("ok")
"""


def test_a_checkpoint_write_that_fails_midway_leaves_the_good_one_and_exits_cleanly(tmp_path):
    done = subprocess.run([sys.executable, "-c", WRITE_FAILS_MIDWAY, str(tmp_path / "checkpoints")], env=ENV,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr[-2000:]


def test_a_step_is_checkpointed_once_when_an_epoch_ends_on_a_save(tmp_path, monkeypatch):
    """The epoch-end save is skipped when the step's save just happened (it would write the same state again)."""
    import types

    from keras_animegan.callbacks import TrainingCheckpoint

    model = types.SimpleNamespace(train_steps=0)
    checkpoint = TrainingCheckpoint(tmp_path, every_n_steps=3)
    monkeypatch.setattr(TrainingCheckpoint, "model", model)  # Keras's property: the model set by fit
    written = []

    def save():
        written.append(model.train_steps)
        checkpoint.saved_step = model.train_steps
        return True

    monkeypatch.setattr(checkpoint, "save", save)
    for epoch, steps in enumerate((3, 2, 1)):  # epoch ends at steps 3, 5, 6
        for _ in range(steps):
            model.train_steps += 1
            checkpoint.on_train_batch_end(model.train_steps - 1)
        checkpoint.on_epoch_end(epoch)
    assert written == [3, 5, 6]
