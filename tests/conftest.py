"""Test setup: quiet TF, two logical CPU devices (for MirroredStrategy tests), shared tiny fixtures."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# XLA's CPU compiler at its lowest optimization level and without its fusion emitters: JAX compiles the tests'
# tiny networks in about a third of the default time (the numbers match TensorFlow's within the same
# tolerances); every subprocess inherits it.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false")
# JAX compiles a program once for the whole run: the tests' JAX processes share a compilation cache (several
# sample the same preset or train the same tiny DCGAN).
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["JAX_COMPILATION_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), f"keras_animegan_jax_cache_{os.getuid()}")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Must happen before TF initializes its devices: split the CPU into two logical
# devices so MirroredStrategy can run two replicas on a CPU-only machine.
_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)
# TensorFlow's graph optimizer (Grappler) rewrites each traced function before its first run: seconds per
# train step for a network that then runs a handful of steps. The tests run the graphs as traced.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


@pytest.fixture(autouse=True)
def _float32_policy():
    """Each test starts (and leaves) with the float32 policy, whatever a trainer set."""
    import keras

    keras.mixed_precision.set_dtype_policy("float32")
    yield
    keras.mixed_precision.set_dtype_policy("float32")


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One MirroredStrategy over the two logical CPUs for the whole session.

    Two MirroredStrategy objects over the same devices in one process share
    collective-op instance keys; a second one can pair up mismatched
    all-reduces (`Shape mismatch in the collective instance`), so tests share this one.
    """
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
