"""ONNX export of generators (the `onnx` extra: `tf2onnx` converts the TensorFlow graph).

One `<export_dir>/<name>.onnx` per generator, with the network's own input shape: input `inputs`
(float32 noise `(n, latent_dim)`, or images `(n, s, s, 3)` in [-1, 1]), output the images in [-1, 1].
"""

import json
import os

from keras_animegan.export import register_format


def export_onnx(network, path, tag_vocabulary=None):
    """Writes `network` as ONNX at `path`; returns `path`. ImportError without tf2onnx, ValueError if it fails.

    A tag-conditioned generator (`tag_vocabulary` given) gets two inputs, `noise` and `tags`, and its
    vocabulary is written beside the file as `<path>.tags.json`.
    """
    try:
        import tensorflow as tf
        import tf2onnx
    except ImportError:
        raise ImportError("ONNX export needs tf2onnx: pip install 'keras-animegan[onnx]' (from a clone: "
                          "pip install '.[onnx]').") from None
    if tag_vocabulary:
        num_tags = len(tag_vocabulary["tags"])
        spec = [tf.TensorSpec((None, int(network.input_shape[-1]) - num_tags), tf.float32, name="noise"),
                tf.TensorSpec((None, num_tags), tf.float32, name="tags")]
        function = tf.function(lambda noise, tags: tf.cast(network(tf.concat([noise, tags], axis=1), training=False),
                                                           tf.float32))
    else:
        spec = [tf.TensorSpec((None,) + tuple(network.input_shape[1:]), tf.float32, name="inputs")]
        # A plain tensor output: tf2onnx 1.17 fails ("graph input ... not exist") when an output
        # dict key equals an input name.
        function = tf.function(lambda inputs: tf.cast(network(inputs, training=False), tf.float32))
    from keras_animegan.utils import safe_files

    try:
        with safe_files.replacing(path) as tmp:
            tf2onnx.convert.from_function(function, input_signature=spec, output_path=tmp)
    except Exception as error:  # noqa: BLE001 - the converter fails in many ways; name the model
        raise ValueError(f"tf2onnx could not convert {network.name!r}: {error}") from None
    if tag_vocabulary:
        safe_files.write_json(f"{path}.tags.json", tag_vocabulary, indent=1)
    return path


def export(network, kind, export_dir, name, tag_vocabulary=None, **unused):
    """The format's export call (see `keras_animegan.export.export_model`): `{name: path}`."""
    return {name: export_onnx(network, os.path.join(os.fspath(export_dir), f"{name}.onnx"),
                              tag_vocabulary if kind == "tags" else None)}


def check_file(path):
    """Raises `onnx.checker.ValidationError` unless `path` is a valid ONNX model (the tests check each export)."""
    import onnx

    onnx.checker.check_model(onnx.load(os.fspath(path)))


register_format("onnx", label="ONNX", module=__name__, writes="`<export_dir>/<name>.onnx` (the `onnx` extra)")
