"""Checkpoints by time: a run killed with SIGKILL at any moment loses at most `--checkpoint_minutes`."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from keras_animegan.callbacks.training_checkpoint import TrainingCheckpoint
from tests import forked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Counting(TrainingCheckpoint):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.saves = []

    def save(self):
        self.saves.append((self.model.train_steps, self.clock()))
        self.last_save_time = self.clock()
        return True


class Model:
    train_steps = 0


def test_a_checkpoint_comes_once_the_interval_has_passed(tmp_path):
    clock = FakeClock()
    checkpoint = Counting(tmp_path, every_n_steps=0, every_minutes=2, clock=clock)
    checkpoint.set_model(Model())
    checkpoint.on_train_begin()
    for step in range(1, 50):  # a step every 10 s: a save at 120 s, 240 s, 360 s, ...
        clock.now += 10
        checkpoint.model.train_steps = step
        checkpoint.on_train_batch_end(step)
    assert checkpoint.saves == [(12, 120), (24, 240), (36, 360), (48, 480)]
    assert all(b[1] - a[1] <= 120 for a, b in zip([(0, 0)] + checkpoint.saves, checkpoint.saves))


def command(model_dir, epochs):
    return [sys.executable, "-m", "train.dcgan", f"--model_dir={model_dir}", f"--epochs={epochs}",
            "--steps_per_epoch=400", "--batch_size=2", "--image_size=32", "--latent_dim=8", "--base_filters=2",
            "--num_samples=4", "--checkpoint_every=0", "--checkpoint_minutes=0.03", "--verbose=0",
            "--export_formats=none"]


@pytest.mark.slow
def test_a_run_killed_mid_epoch_loses_at_most_the_interval(tmp_path):
    """Before: with step checkpoints off, only epoch ends were saved, so a kill lost the whole epoch.
    Here a 1.8 s interval, no step checkpoints, and a kill -9 in the middle of the first epoch."""
    model_dir = tmp_path / "run"
    saved = model_dir / "checkpoints" / "latest.weights.h5"
    first = forked.start(command(model_dir, 5), env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while not (saved.exists() and time.time() - saved.stat().st_mtime < 1.0):
            assert first.poll() is None and time.time() < deadline, "no checkpoint came"
            time.sleep(0.1)
        time.sleep(2.5)  # a random-enough moment after it: more than one interval later
        first.send_signal(signal.SIGKILL)
        killed_at = time.time()
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
    assert killed_at - saved.stat().st_mtime <= 0.03 * 60 + 1.0  # the interval, a step and the save's time
    again = forked.run(command(model_dir, 1), env=ENV, cwd=ROOT, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    resumed = int(re.search(r"Resuming from step (\d+)", again.stderr)[1])
    assert 0 < resumed < 400  # mid-epoch, not the epoch's start
