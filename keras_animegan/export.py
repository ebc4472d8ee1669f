"""Export generators as SavedModels for TF Serving."""

import os
import shutil

import keras
import tensorflow as tf


def export_generator(model, export_dir, model_name, version=1, input_signature=None, network=None):
    """Writes the generator of `model` as a SavedModel at `<export_dir>/<model_name>/<version>/`.

    This is the layout TF Serving's `--model_base_path=<export_dir>/<model_name>`
    expects. Only the generator's variables are exported (no discriminator,
    no optimizer state). The `serve` endpoint is also the `serving_default`
    signature; it runs `model(inputs, training=False)`.

    Args:
        model: a `GANModel`.
        export_dir: base export directory.
        model_name: the model's folder name (e.g. `"dcgan"`).
        version: integer version folder; an existing one is replaced.
        input_signature: list of `tf.TensorSpec`; default: the network's input.
        network: the network to export; default `model.generator` (for
            CycleGAN, `model.generator_ba` exports the B -> A direction).

    Returns:
        The path of the written SavedModel.

    Example:

    >>> path = export_generator(model, "exports", "dcgan")
    >>> loaded = tf.saved_model.load(path)
    >>> images = loaded.serve(tf.random.normal((4, 100)))
    """
    network = model.generator if network is None else network
    if input_signature is None:
        shape = network.input_shape
        name = getattr(network.inputs[0], "name", None) or "inputs"
        input_signature = [tf.TensorSpec((None,) + tuple(shape[1:]), tf.float32, name=name.split(":")[0])]
    path = os.path.join(os.fspath(export_dir), model_name, str(int(version)))
    tmp = f"{path}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    archive = keras.export.ExportArchive()
    archive.track(network)
    archive.add_endpoint("serve", lambda inputs: network(inputs, training=False), input_signature=input_signature)
    archive.write_out(tmp, verbose=False)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    return path
