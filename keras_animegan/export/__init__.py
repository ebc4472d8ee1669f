"""Export formats: one module each, behind one call.

    paths = export_model(model, "saved_model", "exports", "dcgan")   # {export name: path}
    paths = export_model(model, "litert", "exports", "photo2anime", quantize="fp16")

Each format module registers itself (`register_format`); `formats()` lists them and the docs show
`format_table()`.

A model says what it exports (`GANModel.export_networks(name)`: CycleGAN writes `<name>_ab` and
`<name>_ba`) and what its generators take (`input_kind`); each format module has
`export(network, kind, export_dir, name, **options) -> {name: path}` (options include the model's
`export_options()`: a tag-conditioned model's `tag_vocabulary`). To add a format, add a module with
that function that calls `register_format` at its bottom: `keras-animegan export --format`, the
trainers' `--export_formats`, `keras_animegan.inference.Generator` (where it loads) and the docs' table
then take it.

A `"tags"` generator (`TaggedDCGAN`) is one network whose input is the noise with the tag vector
appended; every format gives it two inputs, `noise` `(n, latent_dim)` and `tags` `(n, num_tags)`
(multi-hot, in the vocabulary's order), and writes the vocabulary beside the export.
"""

import dataclasses
import importlib
import os
import pkgutil
from typing import Callable
from typing import Optional


@dataclasses.dataclass(frozen=True)
class ExportFormat:
    """One export format, as its module declares it with `register_format`."""

    #: The word of `--format` and `export_model(model, name, ...)`.
    name: str
    #: How the commands name its files in what they print ("SavedModel").
    label: str
    #: The module that holds `export(network, kind, export_dir, name, **options) -> {name: path}`.
    module: str
    #: One line for the docs' table and `--format`'s help: what it writes.
    writes: str
    #: Where it loads: a class `loader(path)` with the runner interface (see `register_format`), else None.
    loader: Optional[Callable] = None
    #: Where it loads: whether a path is one of its exports (`path.endswith(".tflite")`).
    accepts: Optional[Callable[[str], bool]] = None
    #: What the trust warning calls one of its files ("LiteRT file"); loading runs its program.
    file_kind: str = ""

    def export(self, network, kind, export_dir, name, **options):
        return importlib.import_module(self.module).export(network, kind, export_dir, name, **options)


#: Format name -> `ExportFormat`, in registration order (`formats()` fills it from this package's modules).
_FORMATS = {}


def register_format(name, label, writes, loader=None, accepts=None, file_kind=None, module=None):
    """Makes a module's `export` function an export format; call it once at the bottom of the module.

    Args:
        name: the format's word (`--format NAME`).
        label: how the commands name its files ("ONNX").
        writes: what it writes, one line (the docs' format table and `--format`'s help).
        loader: a class that loads one export for `keras_animegan.inference.Generator`: `loader(path)` with
            `kind` (the model's `input_kind`), `scale`, for noise and tags `latent_dim`, `output_size` and
            `tag_vocabulary` (a `TagVocabulary` config or None), and `__call__(inputs)`: float32 in [-1, 1]
            (noise, with the tag vector appended) -> float32 images in [-1, 1]. Optional: `translate_image`
            and `upscale_image` (uint8 in, uint8 out) where the file has its own uint8 signatures. It raises
            ValueError or FileNotFoundError naming the path for a file that is not one.
        accepts: with `loader`: `accepts(path)`, whether a path is one of its exports.
        file_kind: with `loader`: what to call one export in the warning that loading one runs it.
        module: the module that holds `export` (default: the caller's).
    """
    if module is None:
        import inspect

        module = inspect.currentframe().f_back.f_globals["__name__"]
    if (loader is None) != (accepts is None):
        raise ValueError(f"export format {name!r}: give `loader` and `accepts` together.")
    _FORMATS[name] = ExportFormat(name, label, module, writes, loader, accepts, file_kind or f"{label} file")
    return _FORMATS[name]


def unregister_format(name):
    """Removes a format (tests that add one take it out again)."""
    _FORMATS.pop(name, None)


def formats():
    """`{name: ExportFormat}` of every format: each module of this package that registers one (imported, which
    imports no TensorFlow), and any registered by other code."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(_FORMATS)


def format_module(name):
    """The module of export format `name`; ValueError listing the formats for an unknown one."""
    return importlib.import_module(export_format(name).module)


def export_format(name):
    """The `ExportFormat` named `name`; ValueError listing the formats for an unknown one."""
    known = formats()
    if name not in known:
        raise ValueError(f"Unknown export format {name!r}; choose from {', '.join(known)}.")
    return known[name]


def format_loading(path):
    """The format whose loader takes `path` (the first registered that accepts it; a folder is a SavedModel), or
    None."""
    path = os.fspath(path)
    for format in formats().values():
        if format.accepts is not None and format.accepts(path):
            return format
    return None


def format_table():
    """The formats as a Markdown table (the docs show it)."""
    rows = ["| format | writes | loads with |", "|---|---|---|"]
    for format in formats().values():
        loads = f"`{format.loader.__name__}`" if format.loader is not None else "-"
        rows.append(f"| `{format.name}` | {format.writes} | {loads} |")
    return "\n".join(rows)


def export_model(model, format, export_dir, name, networks=None, **options):
    """Writes the generators of `model` (a `GANModel`) in `format`; returns `{export name: path}`.

    Args:
        model: the model; its `input_kind` says what the generators take.
        format: a registered format's name (`formats()`): `"saved_model"`, `"onnx"`, `"litert"`.
        export_dir: the base folder.
        name: the export's name; a model with several generators adds their suffixes.
        networks: `{export name: network}` to write instead of `model.export_networks(name)`.
        **options: the format's own (`version=` for SavedModel; `quantize=`, `size=`, `representative=`,
            `source=` for LiteRT).
    """
    format = export_format(format)
    networks = networks if networks is not None else model.export_networks(name)
    options = {**(model.export_options() if hasattr(model, "export_options") else {}), **options}
    written = {}
    for export_name, network in networks.items():
        written.update(format.export(network, model.input_kind, export_dir, export_name, **options))
    return written


def __getattr__(name):
    # Earlier releases' tables: `{format: module}` and `{format: label}`.
    if name == "FORMATS":
        return {key: format.module for key, format in formats().items()}
    if name == "LABELS":
        return {key: f"{format.label + ':':<11}" for key, format in formats().items()}
    # The SavedModel helpers kept importable from here (`from keras_animegan.export import export_generator`).
    if name in ("export_generator", "serving_endpoints", "swap_in", "MAX_DECODED_PIXELS"):
        return getattr(importlib.import_module("keras_animegan.export.saved_model"), name)
    if name in ("translate_tf", "translate_keras", "SIZE_MULTIPLE", "MAX_WORK_PIXELS"):
        return getattr(importlib.import_module("keras_animegan.export.any_size"), name)
    if name == "translate_any_size":  # the name of the TensorFlow adapter in earlier releases
        return importlib.import_module("keras_animegan.export.any_size").translate_tf
    raise AttributeError(f"module 'keras_animegan.export' has no attribute {name!r}")
