"""Presets: `save_to_preset` / `from_preset` for each GAN, errors that name the preset, and the shipped presets."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_animegan
from keras_animegan import CartoonGAN
from keras_animegan import CycleGAN
from keras_animegan import DCGAN
from keras_animegan import GANModel
from keras_animegan import presets
from tests import testing

SIZE = 32
IMAGES = tf.random.stateless_uniform((2, SIZE, SIZE, 3), (3, 4), minval=-1, maxval=1)
NOISE = tf.random.stateless_normal((2, 8), (5, 6))


def tiny_features():
    images = keras.Input((SIZE, SIZE, 3))
    return keras.Model(images, keras.layers.Conv2D(4, 3, strides=2, padding="same")(images), name="tiny_features")


def trained(model, data):
    """A model trained two steps whose inference generators then get large random kernels, so that their
    outputs vary (a fresh N(0, 0.02) DCGAN's are ~1e-4) and a round trip is a real check."""
    model.compile()
    model.fit(data, epochs=1, steps_per_epoch=2, verbose=0)
    rng = np.random.default_rng(0)
    for name in model.ema_network_names:
        for variable in model.inference_network(name).weights:
            if variable.path.endswith("kernel"):
                variable.assign(rng.normal(0, 0.3, variable.shape).astype("float32"))
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One trained tiny model of each class, and its preset folder (float16 and float32)."""
    root = tmp_path_factory.mktemp("presets")
    images = tf.data.Dataset.from_tensors(IMAGES).repeat()
    models = {
        "dcgan": trained(DCGAN(latent_dim=8, image_size=SIZE, base_filters=4, seed=0, ema_decay=0.9), images),
        "cyclegan": trained(CycleGAN(image_size=SIZE, base_filters=4, num_blocks=1, num_disc_layers=2, seed=0,
                                     ema_decay=0.9), tf.data.Dataset.zip((images, images))),
        "cartoongan": trained(CartoonGAN(tiny_features(), image_size=SIZE, base_filters=4, num_blocks=1, seed=0),
                              tf.data.Dataset.zip((images, images, images))),
    }
    paths = {}
    for key, model in models.items():
        paths[key] = model.save_to_preset(str(root / key), metadata={"description": f"tiny {key}"})
        paths[key + "_fp32"] = model.save_to_preset(str(root / (key + "_fp32")), weights_dtype="float32")
    return models, paths


def inputs_of(key):
    return NOISE if key == "dcgan" else IMAGES


@pytest.mark.parametrize("key", ["dcgan", "cyclegan", "cartoongan"])
def test_round_trip_gives_the_same_generators(saved, key):
    models, paths = saved
    model = models[key]
    exact = type(model).from_preset(paths[key + "_fp32"])
    np.testing.assert_allclose(exact(inputs_of(key)), model(inputs_of(key)), atol=1e-6)
    half = type(model).from_preset(paths[key])
    outputs = model(inputs_of(key))
    np.testing.assert_allclose(half(inputs_of(key)), outputs, atol=2e-2)  # float16 weights
    assert float(np.std(outputs)) > 0.1  # not a near-constant output that would match anything
    if key == "cyclegan":  # both directions are stored
        np.testing.assert_allclose(exact.inference_network("generator_ba")(IMAGES),
                                   model.inference_network("generator_ba")(IMAGES), atol=1e-6)
    # The raw generator (which fine-tuning trains) starts from the preset's weights too.
    for name in model.ema_network_names:
        for a, b in zip(getattr(exact, name).weights, model.inference_network(name).weights):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_preset_folder_holds_config_weights_metadata_and_card(saved):
    _, paths = saved
    assert sorted(os.listdir(paths["dcgan"])) == ["config.json", "metadata.json", "model_card.md", "weights.npz"]
    with open(os.path.join(paths["dcgan"], "config.json")) as f:
        config = json.load(f)
    assert config["class_name"] == "DCGAN" and config["weights_dtype"] == "float16"
    assert set(config["weights"]) == {"generator"}  # inference only: no discriminator
    assert config["config"]["base_filters"] == 4 and "discriminator" not in config["config"]
    with np.load(os.path.join(paths["dcgan"], "weights.npz")) as stored:
        assert {stored[k].dtype for k in stored.files} == {np.dtype("float16")}
    assert presets.load_metadata(paths["dcgan"])["description"] == "tiny dcgan"


def test_loaded_preset_trains_and_exports(saved, tmp_path):
    _, paths = saved
    model = DCGAN.from_preset(paths["dcgan"])
    before, history = testing.fit_steps(model, tf.data.Dataset.from_tensors(IMAGES).repeat(),
                                        ("generator", "discriminator"))
    testing.assert_finite_history(history, ("d_loss", "g_loss"))
    assert testing.changed(before["generator"], model.generator)
    testing.assert_export_round_trip(model, tmp_path, "dcgan", NOISE, model(NOISE), atol=1e-4)
    # CartoonGAN translates without its feature network, and trains once it is given one.
    with pytest.raises(ValueError, match="feature_extractor"):
        CartoonGAN.from_preset(paths["cartoongan"]).compile()
    cartoon = CartoonGAN.from_preset(paths["cartoongan"], feature_extractor=tiny_features())
    triples = tf.data.Dataset.from_tensors((IMAGES, IMAGES, IMAGES)).repeat()
    before, history = testing.fit_steps(cartoon, triples, ("generator",))
    assert testing.changed(before["generator"], cartoon.generator)


def test_any_preset_through_the_base_class(saved):
    _, paths = saved
    assert type(GANModel.from_preset(paths["cyclegan"])) is CycleGAN


def test_errors_name_the_preset_and_what_is_available(saved, tmp_path):
    _, paths = saved
    with pytest.raises(ValueError, match=r"Unknown preset 'no_such_preset'\. Available presets: ") as error:
        DCGAN.from_preset("no_such_preset")
    for name in keras_animegan.list_presets():
        assert name in str(error.value)
    with pytest.raises(ValueError, match="holds a CycleGAN, not a DCGAN"):
        DCGAN.from_preset(paths["cyclegan"])
    with pytest.raises(ValueError, match="build the model with the preset's settings"):
        DCGAN.from_preset(paths["dcgan"], base_filters=8)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no config.json"):
        DCGAN.from_preset(str(tmp_path / "empty"))

