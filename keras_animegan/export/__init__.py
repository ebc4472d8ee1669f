"""Export formats: one module each, behind one call.

    paths = export_model(model, "saved_model", "exports", "dcgan")   # {export name: path}
    paths = export_model(model, "litert", "exports", "photo2anime", quantize="fp16")

| format | module | writes | loads |
|---|---|---|---|
| `saved_model` | `export/saved_model.py` | `<dir>/<name>/<version>/` with TF Serving signatures | `SavedModelRunner` |
| `onnx` | `export/onnx.py` | `<dir>/<name>.onnx` (the `onnx` extra) | (onnxruntime, not bundled) |
| `litert` | `export/litert.py` | `<dir>/<name>[_<size>][_<quantize>].tflite` + model card | `LiteRTGenerator` |

A model says what it exports (`GANModel.export_networks(name)`: CycleGAN writes `<name>_ab` and
`<name>_ba`) and what its generators take (`input_kind`); each format module has
`export(network, kind, export_dir, name, **options) -> {name: path}` (options include the model's
`export_options()`: a tag-conditioned model's `tag_vocabulary`). To add a format, add a module with
that function and list it in `FORMATS`.

A `"tags"` generator (`TaggedDCGAN`) is one network whose input is the noise with the tag vector
appended; every format gives it two inputs, `noise` `(n, latent_dim)` and `tags` `(n, num_tags)`
(multi-hot, in the vocabulary's order), and writes the vocabulary beside the export.
"""

import importlib

#: Format name -> its module (imported when it is used).
FORMATS = {
    "saved_model": "keras_animegan.export.saved_model",
    "onnx": "keras_animegan.export.onnx",
    "litert": "keras_animegan.export.litert",
}

#: How the commands name each format's files in what they print.
LABELS = {"saved_model": "SavedModel:", "onnx": "ONNX:      ", "litert": "LiteRT:    "}


def format_module(name):
    """The module of export format `name`; ValueError listing the formats for an unknown one."""
    if name not in FORMATS:
        raise ValueError(f"Unknown export format {name!r}; choose from {', '.join(FORMATS)}.")
    return importlib.import_module(FORMATS[name])


def export_model(model, format, export_dir, name, networks=None, **options):
    """Writes the generators of `model` (a `GANModel`) in `format`; returns `{export name: path}`.

    Args:
        model: the model; its `input_kind` says what the generators take.
        format: `"saved_model"`, `"onnx"` or `"litert"`.
        export_dir: the base folder.
        name: the export's name; a model with several generators adds their suffixes.
        networks: `{export name: network}` to write instead of `model.export_networks(name)`.
        **options: the format's own (`version=` for SavedModel; `quantize=`, `size=`, `representative=`,
            `source=` for LiteRT).
    """
    module = format_module(format)
    networks = networks if networks is not None else model.export_networks(name)
    options = {**(model.export_options() if hasattr(model, "export_options") else {}), **options}
    written = {}
    for export_name, network in networks.items():
        written.update(module.export(network, model.input_kind, export_dir, export_name, **options))
    return written


def __getattr__(name):
    # The SavedModel helpers kept importable from here (`from keras_animegan.export import export_generator`).
    if name in ("export_generator", "serving_endpoints", "swap_in", "MAX_DECODED_PIXELS"):
        return getattr(importlib.import_module("keras_animegan.export.saved_model"), name)
    if name in ("translate_tf", "translate_keras", "SIZE_MULTIPLE", "MAX_WORK_PIXELS"):
        return getattr(importlib.import_module("keras_animegan.export.any_size"), name)
    if name == "translate_any_size":  # the name of the TensorFlow adapter in earlier releases
        return importlib.import_module("keras_animegan.export.any_size").translate_tf
    raise AttributeError(f"module 'keras_animegan.export' has no attribute {name!r}")
