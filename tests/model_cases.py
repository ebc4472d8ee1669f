"""The shared model test cases: what every registered model must do, asked of the model itself.

A model's test file builds a tiny instance and calls these (or `check_all`); nothing here knows
a model by name. Each check asks the model what it takes (`input_kind`), which generators it
has (`directions`, `inference_generator`) and what it exports (`export_networks`).
"""

import os

import keras
import numpy as np

from keras_animegan import GANModel
from keras_animegan.export import export_model
from tests import testing


def example_inputs(model, count=2, size=32, seed=0):
    """Inputs for the model's generators: noise `(count, latent_dim)`, noise and tags, or images in [-1, 1]."""
    rng = np.random.default_rng(seed)
    if model.input_kind == "tags":
        return model.tag_inputs(count, None, seed)
    if model.input_kind == "noise":
        return rng.standard_normal((count, model.latent_dim)).astype(np.float32)
    shape = model.inference_generator().input_shape[1:3]
    size = model.export_options().get("size", size)  # the side a model's fixed-size exports take, if it says
    height, width = (size, size) if None in shape else shape
    return rng.uniform(-1, 1, (count, height, width, 3)).astype(np.float32)


def outputs(model, inputs, direction=None):
    return keras.ops.convert_to_numpy(model.inference_generator(direction)(inputs, training=False))


def check_fit_moves_every_generator(model, dataset, steps=1):
    """One compiled fit step logs each of `loss_names` (finite) and moves every generator."""
    before, history = testing.fit_steps(model, dataset, model.ema_network_names, steps=steps)
    testing.assert_finite_history(history, model.loss_names)
    for name in model.ema_network_names:
        assert testing.changed(before[name], getattr(model, name)), f"{name} did not train"


def check_inference(model):
    """`model(x)` is the default generator; each direction gives its own output; bad directions are refused."""
    inputs = example_inputs(model)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(inputs)), outputs(model, inputs), atol=1e-6)
    assert set(model.export_networks("m")) == ({"m"} if not model.directions else
                                               {f"m_{d}" for d in model.directions})
    for direction in model.directions:
        assert outputs(model, inputs, direction).shape[0] == len(inputs)
    try:
        model.inference_generator("no_such_direction")
    except ValueError as error:
        assert "direction" in str(error)
    else:
        raise AssertionError("an unknown direction should be a ValueError")


def check_round_trips(model, directory):
    """Config, `.keras` file and preset folder each give back the same generators' outputs."""
    os.makedirs(directory, exist_ok=True)
    inputs = example_inputs(model)
    testing.assert_config_round_trip(model, inputs, calls=(lambda m, x: m(x),))
    testing.assert_keras_file_round_trip(model, directory, inputs)
    preset = model.save_to_preset(os.path.join(str(directory), "preset"), weights_dtype="float32")
    loaded = GANModel.from_preset(preset)
    assert type(loaded) is type(model)
    for direction in model.directions or (None,):
        np.testing.assert_allclose(outputs(loaded, inputs, direction), outputs(model, inputs, direction), atol=1e-5)


def check_exports(model, directory, formats=None):
    """Each registered export format (or those of `formats`) writes one file or folder per exported network; a
    format that loads takes its own paths and gives back the model's kind and outputs; one that does not is
    checked by its module's `check_file`, where it has one."""
    import importlib

    from keras_animegan.export import formats as registered

    inputs = example_inputs(model, count=1)
    # Exports give images in [-1, 1] (an upscaler's network output is not clipped; the exports clip it).
    expected = {name: np.clip(keras.ops.convert_to_numpy(network(inputs, training=False)), -1.0, 1.0)
                for name, network in model.export_networks("m").items()}
    for format in formats or registered():
        spec = registered()[format]
        paths = export_model(model, format, os.path.join(str(directory), format), "m")
        assert len(paths) == len(expected), (format, paths)
        for name, path in paths.items():
            assert os.path.exists(path), path
            if spec.loader is not None:
                assert spec.accepts(path), (format, path)
                runner = spec.loader(path)
                assert runner.kind == model.input_kind
                np.testing.assert_allclose(runner(inputs), expected[name], atol=1e-4)
            elif hasattr(importlib.import_module(spec.module), "check_file"):
                importlib.import_module(spec.module).check_file(path)


def check_low_precision(make_model, batch, precision, steps=8):
    """A few `fit` steps under `precision` ("mixed_bfloat16" or "mixed_float16"): finite losses, the generator's
    layers compute in the low precision with float32 weights, float32 outputs, and fp16 losses are scaled
    (a dynamic scale that is a power of two) and some steps are applied."""
    import tensorflow as tf

    keras.mixed_precision.set_dtype_policy(precision)
    try:
        model = make_model()
        model.compile()
        before = [np.array(w) for w in model.generator_trainable_variables]
        history = model.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1, steps_per_epoch=steps, verbose=0)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    low = precision.split("_")[1]
    layer = next(layer for layer in model.inference_generator().layers if layer.weights)
    assert layer.compute_dtype == low, (layer.name, layer.compute_dtype)
    assert all(w.dtype == "float32" for w in model.generator_trainable_variables)  # float32 master weights
    assert set(history.history) == set(model.loss_names)
    for key, values in history.history.items():
        assert np.all(np.isfinite(values)), (key, values)
    assert keras.ops.convert_to_numpy(model(example_inputs(model))).dtype == np.float32
    scaled = isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (precision == "mixed_float16") == isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    if scaled:
        scale = float(keras.ops.convert_to_numpy(model.g_optimizer.dynamic_scale))
        assert np.isfinite(scale) and scale >= 1 and np.log2(scale) == int(np.log2(scale))
    # fp16: the first steps may overflow at the initial scale 2**15 and are skipped while it halves.
    assert any(not np.allclose(b, np.array(w)) for b, w in zip(before, model.generator_trainable_variables))


def check_all(make_model, dataset, directory):
    """Every shared case on fresh tiny models from `make_model()`."""
    check_fit_moves_every_generator(make_model(), dataset)
    check_inference(make_model())
    check_round_trips(make_model(), os.path.join(str(directory), "round_trips"))
    check_exports(make_model(), os.path.join(str(directory), "exports"))
