"""The shared model checks on every model the package registers, each on its registered tiny instance.

Nothing here names a model: a model registered with `register_model(..., tiny=...)` gets the shared
cases (fit, inference, config / `.keras` / preset round trips, every export format) and the
low-precision steps, as keras-hub's `run_backbone_test` / `run_precision_test` / `run_preset_test` do.
A model defined outside the package (a test's toy) calls the same `tests.model_cases` functions.
"""

import numpy as np
import pytest
import tensorflow as tf

from keras_animegan.models import example_batch
from keras_animegan.models import registered_models
from tests import model_cases

MODELS = sorted(registered_models())


def test_the_package_registers_its_models():
    assert {"dcgan", "cyclegan", "cartoongan", "tagged_dcgan", "upscaler"} <= set(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_the_shared_model_cases_hold(name, tmp_path):
    entry = registered_models()[name]
    batch = example_batch(entry.tiny(), batch_size=2)
    model_cases.check_all(entry.tiny, tf.data.Dataset.from_tensors(batch).repeat(), tmp_path)


@pytest.mark.slow  # see setup.cfg: many traced models
@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", MODELS)
def test_low_precision_steps(name, precision):
    entry = registered_models()[name]
    model_cases.check_low_precision(entry.tiny, example_batch(entry.tiny(), batch_size=2), precision)


@pytest.mark.parametrize("name", MODELS)
def test_the_tiny_instance_is_tiny_and_its_batch_fits_it(name):
    entry = registered_models()[name]
    model = entry.tiny()
    assert model.count_params() < 200_000, model.count_params()
    batch = example_batch(model, batch_size=3, seed=1)
    arrays = batch if isinstance(batch, tuple) else (batch,)
    assert len(arrays) == len(model.batch_inputs) and all(len(a) == 3 for a in arrays)
    assert all(np.isfinite(a).all() for a in arrays)
