"""TensorFlow as an optional import: the core runs on Keras with JAX or PyTorch alone.

`tf = optional.tensorflow("TFDS datasets")` gives a stand-in that imports TensorFlow on first use,
or raises an `ImportError` that names the feature and how to get it.
"""

import importlib
import importlib.util
import json
import os
import sys


class MissingTensorFlowError(ImportError):
    """A feature that needs TensorFlow was used where TensorFlow is not installed."""


class _Lazy:
    def __init__(self, feature):
        self._feature = feature
        self._module = None

    def _load(self):
        if self._module is None:
            try:
                self._module = importlib.import_module("tensorflow")
            except ImportError as error:
                raise MissingTensorFlowError(
                    f"{self._feature} needs TensorFlow, which is not installed here: `pip install tensorflow` (or "
                    "`pip install keras-animegan`, which installs it). Keras on JAX or PyTorch alone runs the "
                    "models, presets, folder and zip input, the DCGAN trainer, generate and translate.") from error
        return self._module

    def __getattr__(self, name):
        return getattr(self._load(), name)


def tensorflow(feature):
    """A stand-in for the `tensorflow` module that imports it on first use, for `feature`."""
    return _Lazy(feature)


def require(lazy_module):
    """Imports a `tensorflow(feature)` stand-in's module now: the feature's clear error comes first."""
    lazy_module._load()


def has_tensorflow():
    """Whether TensorFlow can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def pick_backend():
    """Sets `KERAS_BACKEND` to jax (else torch) where Keras would pick TensorFlow and it is not installed.

    Only where no other backend was chosen (`KERAS_BACKEND`, or `"backend"` in `~/.keras/keras.json`,
    which Keras writes with "tensorflow" on its first import) and Keras is not imported yet; with
    TensorFlow installed nothing changes.
    """
    if "keras" in sys.modules or has_tensorflow():
        return None
    chosen = os.environ.get("KERAS_BACKEND")
    if not chosen:
        home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
        try:
            with open(os.path.join(home, "keras.json")) as f:
                chosen = json.load(f).get("backend")
        except (OSError, ValueError, AttributeError):
            chosen = None
    if chosen and chosen != "tensorflow":
        return None
    for backend in ("jax", "torch"):
        if importlib.util.find_spec(backend) is not None:
            os.environ["KERAS_BACKEND"] = backend
            return backend
    return None


def prefer_onednn():
    """Turns on TensorFlow's oneDNN kernels (`TF_ENABLE_ONEDNN_OPTS=1`) unless the user chose, before TF starts.

    TensorFlow turns them on by itself only on some x86 CPUs (those with AVX-512 VNNI, bf16 or AMX); on
    others it runs Eigen's convolutions, which train DCGAN at about half the speed (the benchmarks
    page). Once TensorFlow is imported the setting no longer applies, so this does nothing then;
    `TF_ENABLE_ONEDNN_OPTS=0` keeps Eigen. Returns whether it set the variable.
    """
    if "tensorflow" in sys.modules or "TF_ENABLE_ONEDNN_OPTS" in os.environ:
        return False
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"
    return True
