"""Shared test helpers, in the spirit of keras-hub's `TestCase`: what every model's test file would repeat.

Each model test file builds its tiny model once (a module fixture) and states
only what is special about the model; these helpers do the common checks:
one fit step that must move the named networks, config / `.keras` /
SavedModel round trips that must give the same outputs, and layer config
round trips.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf


def weights_of(network):
    """Copies of a network's trainable weights (to compare after training)."""
    return [w.numpy().copy() for w in network.trainable_weights]


def changed(before, network):
    """Whether any trainable weight of `network` moved since `weights_of` gave `before`."""
    return any(not np.allclose(a, b.numpy()) for a, b in zip(before, network.trainable_weights))


def fit_steps(model, dataset, networks, steps=1, **compile_kwargs):
    """Compiles `model`, fits `steps` steps on `dataset`, and returns `(weights before, history)`.

    `weights before` maps each name in `networks` (attributes of the model) to
    `weights_of` that network before training, for `changed`.
    """
    model.compile(**compile_kwargs)
    before = {name: weights_of(getattr(model, name)) for name in networks}
    history = model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    return before, history


def assert_train_alike(model, twin, dataset, networks, steps=2, rtol=5e-3):
    """Two steps of `model` and of `twin` (same weights first) give the same losses and the same weight updates.

    Both train with SGD, so the weights show the gradients (Adam's first step is
    ±lr for any gradient, even rounding noise). The updates are compared as a whole,
    per network: `|update - twin's| <= rtol * |update|`. One call on a concatenated
    batch and separate calls round differently (oneDNN picks kernels by batch size),
    and two GAN steps carry that to about 1e-4 of an update of norm 2 (seen in the
    full suite); a wrong term or a swapped batch changes the update by its own size.
    """
    twin.set_weights(model.get_weights())
    before = {name: [np.array(w) for w in getattr(model, name).get_weights()] for name in networks}
    histories = [fit_steps(m, dataset, networks, steps=steps, g_optimizer=keras.optimizers.SGD(0.1),
                           d_optimizer=keras.optimizers.SGD(0.1))[1].history for m in (model, twin)]
    for name in model.loss_names:
        assert histories[0][name][0] == pytest.approx(histories[1][name][0], rel=1e-4, abs=1e-6), name
    for name in networks:
        mine = np.concatenate([(w - b).ravel() for w, b in zip(getattr(model, name).get_weights(), before[name])])
        theirs = np.concatenate([(w - b).ravel() for w, b in zip(getattr(twin, name).get_weights(), before[name])])
        assert np.linalg.norm(mine) > 0, name  # the network trained
        assert np.linalg.norm(mine - theirs) <= rtol * np.linalg.norm(mine), (
            name, float(np.linalg.norm(mine - theirs)), float(np.linalg.norm(mine)))


def assert_finite_history(history, names):
    """The fit history logs exactly `names`, every value finite."""
    assert set(history.history) == set(names)
    assert all(np.isfinite(v[0]) for v in history.history.values())


def assert_config_round_trip(model, inputs, calls=(lambda m, x: m(x),), atol=1e-5):
    """`from_config(get_config())` with the same weights gives the same outputs and the same config.

    Args:
        model: a built model.
        inputs: what each of `calls` is fed.
        calls: `(model, inputs) -> outputs` functions to compare (default: `model(inputs)`).

    Returns:
        The clone.
    """
    config = model.get_config()
    clone = type(model).from_config(config)
    clone.set_weights(model.get_weights())
    for call in calls:
        np.testing.assert_allclose(call(clone, inputs), call(model, inputs), atol=atol)
    assert clone.get_config() == config
    return clone


def assert_keras_file_round_trip(model, directory, inputs, calls=(lambda m, x: m(x),), atol=1e-5):
    """`model.save` then `keras.models.load_model` gives the same class and outputs. Returns the loaded model."""
    path = os.path.join(str(directory), f"{model.name}.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    for call in calls:
        np.testing.assert_allclose(call(loaded, inputs), call(model, inputs), atol=atol)
    return loaded


def assert_export_round_trip(model, export_dir, name, inputs, expected, network=None, atol=1e-5):
    """`export_generator` writes `<export_dir>/<name>/1`, whose `serve` gives `expected` for `inputs`.

    Returns the export path.
    """
    from keras_animegan.export import export_generator

    path = export_generator(model, str(export_dir), name, network=network)
    assert path == os.path.join(str(export_dir), name, "1")
    loaded = tf.saved_model.load(path)  # keep the reference while calling it
    np.testing.assert_allclose(loaded.serve(inputs)["images"], expected, atol=atol)
    assert "serving_default" in loaded.signatures
    return path


def assert_layer_config_round_trip(layer, inputs=None, atol=1e-6):
    """A layer survives `get_config` / `from_config` and Keras (de)serialization by its registered name.

    With `inputs`, the rebuilt layer (given the same weights) computes the same outputs.
    """
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == config
    if inputs is not None:
        expected = layer(inputs)
        clone(inputs)  # builds it
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(clone(inputs), expected, atol=atol)
    return clone
