"""The model store: the SavedModel versions under a folder, loaded with their signatures."""

import os

from keras_animegan.utils.versions import read_manifest
from keras_animegan.utils.versions import saved_model_versions



def find_models(model_base_path, model_name=None):
    """`{name: {version: path}}` under `model_base_path` (a model folder, or a folder of model folders)."""
    base = os.path.abspath(os.fspath(model_base_path))
    if not os.path.isdir(base):
        raise FileNotFoundError(f"--model_base_path {model_base_path!r} is not a directory.")
    versions = saved_model_versions(base)
    if versions:
        return {model_name or os.path.basename(base.rstrip(os.sep)): versions}
    models = {name: saved_model_versions(os.path.join(base, name)) for name in sorted(os.listdir(base))}
    models = {name: v for name, v in models.items() if v}
    if not models:
        raise FileNotFoundError(
            f"--model_base_path {model_base_path!r} holds no SavedModel version folders "
            "(expected <model_base_path>/<version>/saved_model.pb, as keras_animegan.export writes).")
    if model_name:
        if model_name not in models:
            raise FileNotFoundError(f"--model_name {model_name!r} is not in {model_base_path!r} "
                                    f"(found {sorted(models)}).")
        models = {model_name: models[model_name]}
    return models


def tf_serving_dtype(dtype):
    """TF Serving's name of a dtype in `/metadata`: the `DataType` enum name (`DT_FLOAT`, `DT_UINT8`, ...)."""
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(dtype.as_datatype_enum)


class Signature:
    """One signature of a loaded SavedModel: its input specs, output names, and a numpy-in numpy-out call."""

    def __init__(self, name, function, batch_size_input=None):
        self.name = name
        self.function = function
        self.inputs = dict(function.structured_input_signature[1])  # name -> tf.TensorSpec
        self.outputs = dict(function.structured_outputs)  # name -> tf.TensorSpec
        #: A scalar input that says how many images the signature makes (bounded like a batch), or None.
        self.batch_size_input = batch_size_input

    def describe(self):
        def spec(name, s):
            dims = [{"size": str(-1 if d is None else d)} for d in s.shape]
            return {"dtype": tf_serving_dtype(s.dtype), "tensor_shape": {"dim": dims, "unknown_rank": False},
                    "name": name}

        return {
            "inputs": {k: spec(k, s) for k, s in self.inputs.items()},
            "outputs": {k: spec(k, s) for k, s in self.outputs.items()},
            "method_name": "tensorflow/serving/predict",
        }


class Servable:
    """A loaded version of a model."""

    def __init__(self, name, version, path):
        import tensorflow as tf

        self.name, self.version, self.path = name, version, path
        self.loaded = tf.saved_model.load(path)
        counts = _batch_size_inputs(path, self.loaded.signatures)
        self.signatures = {k: Signature(k, f, counts.get(k)) for k, f in self.loaded.signatures.items()}
        from keras_animegan.utils.versions import read_manifest

        manifest = read_manifest(path) or {}
        # A tag-conditioned generator: the tag names of its `tags` input, in order, and their groups.
        vocabulary = manifest.get("tag_vocabulary") if isinstance(manifest, dict) else None
        self.tags = ([{"tag": t, "group": g} for t, g in zip(vocabulary["tags"], vocabulary["groups"])]
                     if isinstance(vocabulary, dict) and "tags" in vocabulary and "groups" in vocabulary else None)


def _batch_size_inputs(path, signatures):
    """`{signature: input}` of the scalar inputs that set a signature's image count, from the export's manifest
    (`assets.extra/keras_animegan.json`, which `keras_animegan.export` writes beside the SavedModel)."""
    manifest = read_manifest(path)
    if manifest is not None and isinstance(manifest.get("batch_size_inputs"), dict):
        return dict(manifest["batch_size_inputs"])
    # Exports written before the manifest: their count-and-seed signatures took a scalar `count`.
    return {name: "count" for name, f in signatures.items()
            if "count" in f.structured_input_signature[1] and f.structured_input_signature[1]["count"].shape.rank == 0}
