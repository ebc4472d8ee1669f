"""`.keras` files saved before the models recorded their constructor arguments (each wrote a `get_config`)
load with today's code: the same settings, the same outputs, and they save again."""

import os

import keras
import numpy as np
import pytest

import keras_animegan.models  # noqa: F401 - registers the classes with Keras

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "legacy")
NAMES = ("dcgan", "cyclegan", "cartoongan", "tagged_dcgan", "upscaler")


@pytest.mark.parametrize("name", NAMES)
def test_an_old_keras_file_loads_with_its_settings_and_outputs(name, tmp_path):
    model = keras.saving.load_model(os.path.join(HERE, f"{name}.keras"), compile=False)
    with np.load(os.path.join(HERE, "outputs.npz")) as saved:
        inputs, expected = saved[f"{name}_inputs"], saved[f"{name}_outputs"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(inputs, training=False)), expected, atol=1e-5)
    settings = {"dcgan": ("ema_decay", 0.9), "cyclegan": ("lambda_identity", 0.25),
                "cartoongan": ("architecture", "unet"), "tagged_dcgan": ("twin_classifier", True),
                "upscaler": ("unpaired_weight", 0.01)}[name]
    assert getattr(model, settings[0]) == settings[1]
    assert model.get_config()[settings[0]] == settings[1]  # recorded from the old config, saved again
    model.save(tmp_path / "again.keras")
    again = keras.saving.load_model(tmp_path / "again.keras", compile=False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(inputs, training=False)), expected, atol=1e-5)

