"""`import keras_animegan` turns on TensorFlow's oneDNN kernels unless the user chose (utils.optional.prefer_onednn)."""

import os
import subprocess
import sys

import pytest

CHECK = ("import {first}; import {second}; from tensorflow.python.util import _pywrap_util_port; "
         "print('ONEDNN', _pywrap_util_port.IsMklEnabled())")


def onednn_enabled(first, second, **env):
    environ = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    environ.update(TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow", **env)
    done = subprocess.run([sys.executable, "-c", CHECK.format(first=first, second=second)], env=environ,
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("ONEDNN ")]
    assert lines, done.stderr[-2000:]
    return lines[-1].split()[1] == "True"


@pytest.mark.skipif(__import__("platform").machine().lower() not in ("x86_64", "amd64"),
                    reason="oneDNN's TensorFlow kernels are x86 only")
def test_importing_the_package_first_turns_onednn_on_and_the_users_choice_wins():
    assert onednn_enabled("keras_animegan", "tensorflow")
    assert not onednn_enabled("keras_animegan", "tensorflow", TF_ENABLE_ONEDNN_OPTS="0")


def test_it_leaves_an_imported_tensorflow_alone(monkeypatch):
    from keras_animegan.utils import optional

    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "restored after the test")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    assert optional.prefer_onednn() is False and "TF_ENABLE_ONEDNN_OPTS" not in os.environ
    monkeypatch.delitem(sys.modules, "tensorflow")
    assert optional.prefer_onednn() is True and os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
