"""ONNX export of generators (the `onnx` extra: `tf2onnx` converts the TensorFlow graph).

One `<export_dir>/<name>.onnx` per generator, with the network's own input shape: input `inputs`
(float32 noise `(n, latent_dim)`, or images `(n, s, s, 3)` in [-1, 1]), output the images in [-1, 1].
"""

import os


def export_onnx(network, path):
    """Writes `network` as ONNX at `path`; returns `path`. ImportError without tf2onnx, ValueError if it fails."""
    try:
        import tensorflow as tf
        import tf2onnx
    except ImportError:
        raise ImportError("ONNX export needs tf2onnx: pip install 'keras-animegan[onnx]' (from a clone: "
                          "pip install '.[onnx]').") from None
    spec = [tf.TensorSpec((None,) + tuple(network.input_shape[1:]), tf.float32, name="inputs")]
    # A plain tensor output: tf2onnx 1.17 fails ("graph input ... not exist") when an output
    # dict key equals an input name.
    function = tf.function(lambda inputs: tf.cast(network(inputs, training=False), tf.float32))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        tf2onnx.convert.from_function(function, input_signature=spec, output_path=path)
    except Exception as error:  # noqa: BLE001 - the converter fails in many ways; name the model
        raise ValueError(f"tf2onnx could not convert {network.name!r}: {error}") from None
    return path


def export(network, kind, export_dir, name, **unused):
    """The format's export call (see `keras_animegan.export.export_model`): `{name: path}`."""
    return {name: export_onnx(network, os.path.join(os.fspath(export_dir), f"{name}.onnx"))}
