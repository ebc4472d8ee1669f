"""`tests/forked.py`: a forked command sees what a fresh interpreter would, and reports like `subprocess`."""

import os
import signal
import subprocess
import sys
import time

from tests import forked

SHOW = """
import json, os, sys
print(json.dumps({"argv": sys.argv, "path": sys.path, "cwd": os.getcwd(), "x": os.environ.get("FORKED_X"),
                  "main": __name__}))
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


def test_a_forked_command_sees_what_a_fresh_interpreter_sees(tmp_path):
    env = dict(os.environ, FORKED_X="1", PYTHONPATH=str(tmp_path / "extra"))
    command = [sys.executable, "-c", SHOW, "3"]
    fresh = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    got = forked.run(command, env=env, cwd=tmp_path, timeout=60)
    process = forked.start([sys.executable, "-c", "pass"], env=env)
    assert isinstance(process, forked.Forked) and process.wait(timeout=60) == 0
    assert got.returncode == fresh.returncode == 3
    assert got.stdout == fresh.stdout and '"x": "1"' in got.stdout and str(tmp_path / "extra") in got.stdout
    assert got.stderr.strip() == fresh.stderr.strip() == "to stderr"


def test_errors_and_signals_end_the_process_as_they_would(tmp_path):
    failed = forked.run([sys.executable, "-c", "raise ValueError('boom')"], cwd=tmp_path)
    assert failed.returncode == 1 and "ValueError: boom" in failed.stderr and "Traceback" in failed.stderr
    sleeper = forked.start([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path)
    time.sleep(0.5)
    assert sleeper.poll() is None
    sleeper.send_signal(signal.SIGKILL)
    assert sleeper.wait(timeout=30) == -signal.SIGKILL


def test_what_needs_a_fresh_interpreter_gets_one():
    env = dict(os.environ)
    assert forked.forkable([sys.executable, "-m", "train.dcgan"], env)
    assert not forked.forkable([sys.executable, "-m", "train.dcgan"], dict(env, KERAS_BACKEND="jax"))
    assert not forked.forkable([sys.executable, "-S", "-c", "pass"], env)
    assert not forked.forkable(["bash", "-c", "true"], env)
    process = forked.start([sys.executable, "-c", "pass"], fresh=True)
    assert isinstance(process, subprocess.Popen) and process.wait(timeout=60) == 0
