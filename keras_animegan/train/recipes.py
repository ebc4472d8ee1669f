"""Training recipes: a trainer's default tables filled into a config, and the optimizers they call for.

A trainer states its tables (`Trainer.defaults` and `Trainer.embedded_defaults`, keyed by recipe
name: `"report"`, the report's exact training, and `"modern"`, the measured best); `resolve` fills
the settings a user left unset from them.
"""

import dataclasses
import os

import keras

# What every recipe sets unless the trainer's table says otherwise: the report trained with
# none of the modern stabilizers.
REPORT_TRAINING = dict(ema_decay=0.0, augment="", r1_gamma=0.0, beta_1=0.5)

# Trainer config field -> the model setting of a preset it must equal (the networks' shapes); a
# trainer adds its own (`Trainer.preset_settings`).
PRESET_SETTINGS = {"image_size": "image_size", "base_filters": "base_filters"}


def apply_preset_settings(config, model_name, class_name, preset_settings):
    """With `init_preset`, the preset's network settings replace the ones the user left at their defaults.

    A setting the user changed to a value other than the preset's is an error naming the flag (the
    preset's weights would not fit); so is a preset of another model.
    """
    from keras_animegan import presets

    try:
        stored = presets.load_config(config.init_preset)
    except ValueError as error:
        raise ValueError(f"--init_preset: {error}") from None
    if stored["class_name"] != class_name:
        raise ValueError(f"--init_preset {config.init_preset!r} is a {stored['class_name']} preset; "
                         f"`keras-animegan train {model_name}` needs a {class_name} one.")
    defaults = {f.name: f.default for f in dataclasses.fields(config)}
    updates = {}
    for field, key in preset_settings.items():
        if field not in defaults or key not in stored["config"]:
            continue
        value, wanted = getattr(config, field), stored["config"][key]
        if value in (None, defaults[field]) or value == wanted:
            updates[field] = wanted
        else:
            raise ValueError(f"--{field}={value} does not fit --init_preset {config.init_preset!r}, whose "
                             f"{key} is {wanted}; leave --{field} out.")
    return dataclasses.replace(config, **updates)


def fill_defaults(config, defaults, embedded_defaults, model_name):
    """Fills `None` fields from the tables of `config.recipe`, then checks the values.

    `embedded_defaults` is laid over `defaults` when no data source is given (the
    demo on the embedded sets). Fields the user set (not None) are kept.
    """
    if config.recipe not in defaults:
        raise ValueError(f"--recipe must be one of {sorted(defaults)}; got {config.recipe!r}.")
    table = dict(REPORT_TRAINING)
    table.update(defaults[config.recipe])
    if config.uses_embedded_data:
        table.update(embedded_defaults.get(config.recipe, {}))
    table.setdefault("model_dir", os.path.join("runs", model_name))
    config = dataclasses.replace(config, **{k: v for k, v in table.items() if getattr(config, k) is None})
    if config.export_dir is None:
        config = dataclasses.replace(config, export_dir=os.path.join(config.model_dir, "export"))
    if config.augment in ("none", "off"):
        config = dataclasses.replace(config, augment="")
    check(config)
    return config


def check(config):
    """A ValueError naming the flag for a shared setting out of its range."""
    for name in ("epochs", "batch_size", "image_size"):
        if getattr(config, name) is None or getattr(config, name) < 1:
            raise ValueError(f"--{name} must be a positive integer; got {getattr(config, name)!r}.")
    if config.ema_decay is not None and not 0.0 <= config.ema_decay < 1.0:
        raise ValueError(f"--ema_decay must be in [0, 1); got {config.ema_decay!r}.")
    if config.r1_gamma is not None and config.r1_gamma < 0:
        raise ValueError(f"--r1_gamma must be >= 0; got {config.r1_gamma!r}.")
    if config.steps_per_epoch is not None and config.steps_per_epoch < 1:
        raise ValueError(f"--steps_per_epoch must be a positive integer; got {config.steps_per_epoch!r}.")
    export_formats(config)


def export_formats(config):
    """The formats of `--export_formats` (`check` calls it, so a typo fails before training)."""
    from keras_animegan.export import formats

    names = [name.strip() for name in config.export_formats.split(",") if name.strip()]
    if names == ["none"]:
        return []
    known = formats()
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(f"--export_formats must be 'none' or a comma-separated list of {', '.join(known)}; "
                         f"got {config.export_formats!r}.")
    return list(dict.fromkeys(names))


def learning_rate(config, network):
    """The learning rate of `network` ("g" or "d"): `--g_learning_rate` / `--d_learning_rate`, else `--learning_rate`."""
    if network not in ("g", "d"):
        raise ValueError(f"network must be 'g' or 'd'; got {network!r}.")
    value = config.g_learning_rate if network == "g" else config.d_learning_rate
    return config.learning_rate if value is None else value


def adam(config, network="g", schedule=None):
    """The optimizer every trainer uses: Adam(learning rate of `network`, or `schedule(rate)`, `--beta_1`)."""
    rate = learning_rate(config, network)
    return keras.optimizers.Adam(schedule(rate) if schedule else rate, beta_1=config.beta_1)


def recipe_kwargs(config):
    """The `GANModel` arguments of the training recipe: EMA, augmentation, R1."""
    return dict(ema_decay=config.ema_decay or None, augment=config.augment or None, r1_gamma=config.r1_gamma or 0.0)
