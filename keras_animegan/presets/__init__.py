"""Presets: a GAN's settings and inference weights in one folder, shipped in the package or written by a user.

In the manner of keras-hub (`from_preset` / `save_to_preset`, a folder of config, weights and
metadata), but stored inside the package so that presets work offline. A preset folder holds:

- `config.json`: the model's class and constructor settings (no network objects: the networks are
  rebuilt from the settings), the preset format version, and the names, shapes and order of the
  stored weights;
- `weights.npz`: the weights of the networks inference needs (the EMA generators when the model
  keeps them; DCGAN's `generator`, CycleGAN's `generator_ab` and `generator_ba`, CartoonGAN's
  `generator`), float16 by default. Discriminators and CartoonGAN's VGG are not stored: a preset
  loaded for fine-tuning starts them fresh (CartoonGAN takes its feature network as an argument);
- `metadata.json`: a one-line description, data, licences, recipe, steps, time, KID and so on;
- `model_card.md`: the same for people.

This module imports no other part of the package: model classes are found through Keras's
serialization registry (`keras_animegan>DCGAN`, ...).
"""

import json
import os

import keras
import numpy as np

from keras_animegan.utils.public import public

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.npz"
METADATA_FILE = "metadata.json"
CARD_FILE = "model_card.md"
#: Where the presets that ship with the package live (one folder each).
BUILTIN_DIR = os.path.dirname(os.path.abspath(__file__))


def _builtin_names():
    return sorted(
        name for name in os.listdir(BUILTIN_DIR)
        if os.path.isfile(os.path.join(BUILTIN_DIR, name, CONFIG_FILE)))


def _read_json(path):
    with open(path) as f:
        return json.load(f)


@public
def list_presets(class_name=None):
    """`{name: description}` of the presets that ship with the package (of one model class if given)."""
    presets = {}
    for name in _builtin_names():
        folder = os.path.join(BUILTIN_DIR, name)
        if class_name and _read_json(os.path.join(folder, CONFIG_FILE))["class_name"] != class_name:
            continue
        metadata_path = os.path.join(folder, METADATA_FILE)
        metadata = _read_json(metadata_path) if os.path.isfile(metadata_path) else {}
        presets[name] = metadata.get("description", "")
    return presets


def preset_folder(preset):
    """The folder of `preset`: the name of a shipped preset, or a folder written by `save_to_preset`.

    Raises:
        ValueError: naming `preset` and listing the shipped presets when it is neither.
    """
    preset = os.fspath(preset)
    if os.path.isfile(os.path.join(preset, CONFIG_FILE)):
        return preset
    builtin = os.path.join(BUILTIN_DIR, preset)
    if os.sep not in preset and os.path.isfile(os.path.join(builtin, CONFIG_FILE)):
        return builtin
    available = ", ".join(_builtin_names()) or "none shipped"
    hint = " (the folder exists but has no config.json)" if os.path.isdir(preset) else ""
    raise ValueError(f"Unknown preset {preset!r}{hint}. Available presets: {available}; or a folder written by "
                     "`model.save_to_preset(path)`.")


def load_config(preset):
    """The parsed `config.json` of `preset` (see `preset_folder`)."""
    folder = preset_folder(preset)
    config = _read_json(os.path.join(folder, CONFIG_FILE))
    if config.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"Preset {preset!r} has format {config['format_version']}; this keras-animegan reads "
                         f"format {FORMAT_VERSION} and older. Upgrade keras-animegan.")
    return config


def load_metadata(preset):
    path = os.path.join(preset_folder(preset), METADATA_FILE)
    return _read_json(path) if os.path.isfile(path) else {}


def settings(model):
    """The constructor settings of `model` without its network objects (rebuilt from the settings)."""
    config = model.get_config()
    for name in model.network_names:
        config.pop(name, None)
    config.pop("name", None)
    config.pop("trainable", None)
    config.pop("dtype", None)
    return config


def save(model, path, metadata=None, model_card=None, weights_dtype="float16"):
    """Writes `model` as a preset folder at `path` (see the module docstring); returns `path`.

    Args:
        model: a DCGAN, CycleGAN or CartoonGAN.
        path: the folder (created; files of an earlier preset there are replaced).
        metadata: dict for `metadata.json` (`description` is what `list_presets` shows).
        model_card: text of `model_card.md` (default: one made from `metadata`).
        weights_dtype: `"float16"` (half the size) or `"float32"`.
    """
    if weights_dtype not in ("float16", "float32"):
        raise ValueError(f"weights_dtype must be 'float16' or 'float32'; got {weights_dtype!r}.")
    os.makedirs(path, exist_ok=True)
    arrays, layout = {}, {}
    for name in model.ema_network_names:
        network = model.inference_network(name)
        layout[name] = []
        for i, variable in enumerate(network.weights):
            key = f"{name}/{i:04d}"
            arrays[key] = np.asarray(keras.ops.convert_to_numpy(variable)).astype(weights_dtype)
            layout[name].append({"path": variable.path, "shape": list(variable.shape)})
    config = {
        "format_version": FORMAT_VERSION,
        "class_name": type(model).__name__,
        "registered_name": keras.saving.get_registered_name(type(model)),
        "config": settings(model),
        "weights_dtype": weights_dtype,
        "weights": layout,
    }
    metadata = dict(metadata or {})
    from keras_animegan.utils import safe_files

    with safe_files.open_replacing(os.path.join(path, WEIGHTS_FILE)) as f:
        np.savez_compressed(f, **arrays)
    safe_files.write_json(os.path.join(path, CONFIG_FILE), config, indent=2)
    safe_files.write_json(os.path.join(path, METADATA_FILE), metadata, indent=2)
    safe_files.write_text(os.path.join(path, CARD_FILE),
                          model_card if model_card is not None else _default_card(config, metadata))
    return path


def _default_card(config, metadata):
    lines = [f"# {metadata.get('name', config['class_name'])}", "", metadata.get("description", ""), ""]
    lines += [f"- {key}: {value}" for key, value in metadata.items() if key not in ("name", "description")]
    lines += ["", f"Model: `{config['class_name']}` with `{json.dumps(config['config'])}`.", ""]
    return "\n".join(lines)


def model_class(preset):
    """The model class a preset was saved from (through Keras's serialization registry)."""
    config = load_config(preset)
    if config.get("class_name") == "Photo2Avatar":
        raise ValueError(f"Preset {preset!r} is a photo-to-avatar pipeline, not a GAN: load it with "
                         f"keras_animegan.Photo2Avatar.from_preset({preset!r}), or run "
                         f"`keras-animegan translate --preset {preset} PHOTO --output OUT`.")
    name = config.get("registered_name")
    cls = keras.saving.get_registered_object(name) if isinstance(name, str) else None
    if cls is None or not isinstance(cls, type):
        raise ValueError(f"Preset {preset!r} names the class {_short(name)}, which is not a registered "
                         "keras-animegan model; import keras_animegan first, or check its config.json.")
    return cls


def _short(value, limit=120):
    """`repr(value)`, cut to `limit` characters: a message quotes a preset's values, not a whole file."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


def load(cls, preset, **kwargs):
    """Builds the model of `preset` and loads its weights; `kwargs` override constructor settings.

    `cls` must be the preset's class or a base of it (`GANModel.from_preset` loads any preset).
    """
    config = load_config(preset)
    saved_cls = model_class(preset)
    if not issubclass(saved_cls, cls):
        raise ValueError(f"Preset {preset!r} holds a {config['class_name']}, not a {cls.__name__}; "
                         f"use {config['class_name']}.from_preset (presets of this class: "
                         f"{', '.join(list_presets(cls.__name__)) or 'none shipped'}).")
    settings = config.get("config")
    if not isinstance(settings, dict):
        raise ValueError(f"Preset {preset!r}: the \"config\" of its config.json is not a mapping of settings.")
    try:
        model = saved_cls(**{**settings, **kwargs})
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
        raise ValueError(f"Preset {preset!r}: its config.json does not build a {saved_cls.__name__} "
                         f"({type(error).__name__}: {_short(str(error), 300)[1:-1]}).") from None
    load_weights(model, preset)
    return model


def load_weights(model, preset):
    """Loads the preset's generator weights into `model`'s generators (and their EMA copies).

    Raises:
        ValueError: naming the preset and network when the stored weights do not fit `model`.
    """
    config = load_config(preset)
    with np.load(os.path.join(preset_folder(preset), WEIGHTS_FILE)) as stored:
        for name, layout in config["weights"].items():
            if name not in model.ema_network_names:
                raise ValueError(f"Preset {preset!r} has weights for {name!r}, which {type(model).__name__} "
                                 "does not have.")
            targets = [getattr(model, name)] + ([model.inference_network(name)] if model.ema_decay else [])
            for network in targets:
                if len(network.weights) != len(layout):
                    raise ValueError(f"Preset {preset!r}: {name!r} has {len(layout)} weights, the model's has "
                                     f"{len(network.weights)}; build the model with the preset's settings.")
                for i, variable in enumerate(network.weights):
                    value = stored[f"{name}/{i:04d}"]
                    if tuple(value.shape) != tuple(variable.shape):
                        raise ValueError(f"Preset {preset!r}: {name!r} weight {layout[i]['path']} has shape "
                                         f"{tuple(value.shape)}, the model's {variable.path} {tuple(variable.shape)}; "
                                         "build the model with the preset's settings.")
                    variable.assign(value.astype(variable.dtype))
