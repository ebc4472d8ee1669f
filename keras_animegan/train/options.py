"""Trainer settings: the shared flags (declared once, here), the config dataclass, the recipes' tables.

A trainer module (`keras_animegan/train/dcgan.py`, ...) declares only its own
flags (`MODEL_FLAGS`), turns the command line into a frozen config dataclass in
`main(argv)` (`parse_config`), fills what the user left unset from its recipe
tables (`resolve`), and calls `run(config)`, which never reads the command
line; tests call `run()` directly.

The flags are plain `argparse` (as the `keras-animegan` command's are), written
`--name=value` or `--name value`.
"""

import argparse
import dataclasses
import os
from typing import Optional

import keras


@dataclasses.dataclass(frozen=True)
class Flag:
    """One command-line flag: its name, value type, default, help and (for an enum) choices."""

    name: str
    type: type
    default: object
    help: str
    choices: Optional[tuple] = None


class Flags:
    """An ordered list of flags, declared as absl's `DEFINE_*` would be, turned into `argparse` arguments."""

    def __init__(self):
        self.flags = []

    def _add(self, name, type_, default, help, choices=None):
        if any(flag.name == name for flag in self.flags):
            raise ValueError(f"flag --{name} is declared twice")
        self.flags.append(Flag(name, type_, default, " ".join(help.split()), tuple(choices) if choices else None))

    def string(self, name, default, help):
        self._add(name, str, default, help)

    def integer(self, name, default, help):
        self._add(name, int, default, help)

    def float(self, name, default, help):
        self._add(name, float, default, help)

    def enum(self, name, default, choices, help):
        self._add(name, str, default, help, choices)

    @property
    def names(self):
        return tuple(flag.name for flag in self.flags)

    def add_to(self, group):
        """Adds each flag to an `argparse` parser or argument group."""
        for flag in self.flags:
            default = "" if flag.default is None else f" (default: {flag.default})"
            group.add_argument(f"--{flag.name}", type=flag.type, default=flag.default, choices=flag.choices,
                               metavar=flag.name.upper() if flag.choices is None else None,
                               help=flag.help.replace("%", "%%") + default)


SHARED_FLAGS = Flags()

# ----------------------------------------------------------------------------- flags
# Defaults of None mean "the trainer's default" (see each trainer's DEFAULTS).
SHARED_FLAGS.string("model_dir", None, "Run directory: checkpoints, samples, logs, final model. "
                    "Rerunning with the same directory resumes. Default: runs/<model>.")
SHARED_FLAGS.integer("epochs", None, "Number of epochs.")
SHARED_FLAGS.integer("steps_per_epoch", None, "Steps per epoch. Default: one pass over the images.")
SHARED_FLAGS.integer("batch_size", None, "Global batch size (split across replicas).")
SHARED_FLAGS.integer("image_size", None, "Training image height and width.")
SHARED_FLAGS.float("learning_rate", None, "Learning rate of both optimizers (Adam). Default: the recipe's.")
SHARED_FLAGS.integer("seed", 0, "Random seed (weights, noise, shuffling).")
SHARED_FLAGS.string("image_dir", None, "A folder (searched recursively) or .zip of images to train on.")
SHARED_FLAGS.string("dataset", None, "A TensorFlow Datasets name to train on instead (e.g. faces/64px).")
SHARED_FLAGS.string("data_dir", None, "TensorFlow Datasets data directory for --dataset.")
SHARED_FLAGS.string("export_dir", None, "SavedModel export base directory. Default: <model_dir>/export.")
SHARED_FLAGS.enum("mixed_precision", "none", ["none", "bf16", "fp16"],
                  "Mixed precision: bf16 (mixed_bfloat16) or fp16 (mixed_float16 with dynamic loss scaling); "
                  "network outputs and losses stay float32.")
SHARED_FLAGS.enum("strategy", "auto", ["auto", "mirrored", "multi_worker", "one_device", "default"],
                  "tf.distribute strategy; auto = MirroredStrategy when more than one GPU is visible; "
                  "multi_worker = MultiWorkerMirroredStrategy over the cluster in TF_CONFIG (only the chief writes).")
SHARED_FLAGS.integer("checkpoint_every", 200, "Also checkpoint every N steps (0: only at epoch ends).")
SHARED_FLAGS.enum("verbose", "auto", ["auto", "0", "1", "2"], "Keras fit verbosity (1 = progress bar).")
SHARED_FLAGS.enum("gan_mode", None, ["vanilla", "lsgan", "hinge"],
                  "Adversarial loss. Default: the model's (DCGAN and CartoonGAN vanilla, CycleGAN lsgan).")
SHARED_FLAGS.float("landmark_weight", 0.0, "CycleGAN / CartoonGAN: strength of the face landmark loss (0 = off). "
                   "Weights the A->B->A cycle loss / the content loss with MediaPipe face-mesh maps.")
SHARED_FLAGS.integer("base_filters", None, "Network width (DCGAN: channels at the last hidden resolution; "
                     "CycleGAN: ngf/ndf). Default: the recipe's (README tables).")

SHARED_FLAGS.enum("recipe", "modern", ["modern", "report"],
                  "Training recipe: modern = the measured best (EMA generator, DiffAugment, ...; see the README's "
                  "KID table), report = the report's exact settings. Explicit flags override either.")
SHARED_FLAGS.float("ema_decay", None, "EMA decay of the generator weights per step (0 = off). Default: the recipe's.")
SHARED_FLAGS.string("augment", None, "DiffAugment policy for the discriminator inputs, e.g. color,translation,cutout "
                    "('none' = off). Default: the recipe's.")
SHARED_FLAGS.float("r1_gamma", None, "R1 gradient penalty weight on real images (0 = off). Default: the recipe's.")
SHARED_FLAGS.float("g_learning_rate", None, "Generator learning rate (TTUR). Default: --learning_rate.")
SHARED_FLAGS.float("d_learning_rate", None, "Discriminator learning rate (TTUR). Default: --learning_rate.")
SHARED_FLAGS.float("beta_1", None, "Adam beta_1 of both optimizers. Default: the recipe's (0.5).")

SHARED_FLAGS.integer("kid_every", 0, "Compute KID of samples against real images every N epochs (0: off); "
                     "logged beside the losses (kid.csv, loss_curve.png, TensorBoard).")
SHARED_FLAGS.string("kid_features", "inception", "KID feature network: inception (downloads ImageNet weights), "
                    "vgg16, a local VGG16 .weights.h5 file, or a .keras feature model.")
SHARED_FLAGS.integer("kid_samples", 1000, "Images on each side of the KID comparison.")

SHARED_FLAGS.string("init_preset", None, "Start the generators from a preset (a shipped name, see "
                    "keras_animegan.list_presets(), or a folder from save_to_preset): fine-tuning. The network "
                    "settings (width, blocks, size, noise length) come from the preset.")



@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings every trainer shares. `None` fields take the trainer's defaults in `resolve`."""

    model_dir: Optional[str] = None
    epochs: Optional[int] = None
    steps_per_epoch: Optional[int] = None
    batch_size: Optional[int] = None
    image_size: Optional[int] = None
    learning_rate: Optional[float] = None
    seed: int = 0
    image_dir: Optional[str] = None
    dataset: Optional[str] = None
    data_dir: Optional[str] = None
    export_dir: Optional[str] = None
    mixed_precision: str = "none"
    strategy: str = "auto"
    checkpoint_every: int = 200
    verbose: str = "auto"
    gan_mode: Optional[str] = None
    base_filters: Optional[int] = None
    landmark_weight: float = 0.0
    kid_every: int = 0
    kid_features: str = "inception"
    kid_samples: int = 1000
    recipe: str = "modern"
    ema_decay: Optional[float] = None
    augment: Optional[str] = None
    r1_gamma: Optional[float] = None
    g_learning_rate: Optional[float] = None
    d_learning_rate: Optional[float] = None
    beta_1: Optional[float] = None
    init_preset: Optional[str] = None

    @property
    def uses_embedded_data(self):
        return not (self.image_dir or self.dataset)


def build_parser(model_name, description, model_flags):
    """The `argparse` parser of `keras-animegan train <model_name>`: the shared flags, then the model's own."""
    parser = argparse.ArgumentParser(
        prog=f"keras-animegan train {model_name}", usage=f"keras-animegan train {model_name} [flags]",
        description=description, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    SHARED_FLAGS.add_to(parser.add_argument_group("training (every model)"))
    model_flags.add_to(parser.add_argument_group(f"{model_name}"))
    return parser


def parse_config(config_cls, model_name, description, model_flags, argv=None):
    """The command line `argv` (without the program name) as a `config_cls`; exits with usage on bad flags."""
    args = build_parser(model_name, description, model_flags).parse_args(argv)
    return config_cls(**{name: getattr(args, name) for name in SHARED_FLAGS.names + model_flags.names})


# What every recipe sets unless the trainer's table says otherwise: the report trained with
# none of the modern stabilizers.
REPORT_TRAINING = dict(ema_decay=0.0, augment="", r1_gamma=0.0, beta_1=0.5)


# Trainer config field -> the model setting of a preset it must equal (the networks' shapes).
PRESET_SETTINGS = {"image_size": "image_size", "base_filters": "base_filters", "latent_dim": "latent_dim",
                   "n_extra_layers": "n_extra_layers", "num_blocks": "num_blocks", "cartoon_blocks": "num_blocks",
                   "norm": "norm"}
MODEL_CLASSES = {"dcgan": "DCGAN", "cyclegan": "CycleGAN", "cartoongan": "CartoonGAN"}


def apply_preset_settings(config, model_name):
    """With `init_preset`, the preset's network settings replace the ones the user left at their defaults.

    A setting the user changed to a value other than the preset's is an error naming the flag (the
    preset's weights would not fit); so is a preset of another model.
    """
    from keras_animegan import presets

    try:
        stored = presets.load_config(config.init_preset)
    except ValueError as error:
        raise ValueError(f"--init_preset: {error}") from None
    if stored["class_name"] != MODEL_CLASSES[model_name]:
        raise ValueError(f"--init_preset {config.init_preset!r} is a {stored['class_name']} preset; "
                         f"`keras-animegan train {model_name}` needs a {MODEL_CLASSES[model_name]} one.")
    defaults = {f.name: f.default for f in dataclasses.fields(config)}
    updates = {}
    for field, key in PRESET_SETTINGS.items():
        if field not in defaults or key not in stored["config"]:
            continue
        value, wanted = getattr(config, field), stored["config"][key]
        if value in (None, defaults[field]) or value == wanted:
            updates[field] = wanted
        else:
            raise ValueError(f"--{field}={value} does not fit --init_preset {config.init_preset!r}, whose "
                             f"{key} is {wanted}; leave --{field} out.")
    return dataclasses.replace(config, **updates)


def resolve(config, defaults, embedded_defaults, model_name):
    """Fills `None` fields from the tables of `config.recipe`.

    `defaults` and `embedded_defaults` map a recipe name (`"report"`,
    `"modern"`) to a table of field values; `embedded_defaults` is laid over
    `defaults` when no data source is given (the demo on the embedded sets).
    Fields the user set (not None) are kept.
    """
    if config.recipe not in defaults:
        raise ValueError(f"--recipe must be one of {sorted(defaults)}; got {config.recipe!r}.")
    if config.init_preset:
        config = apply_preset_settings(config, model_name)
    table = dict(REPORT_TRAINING)
    table.update(defaults[config.recipe])
    if config.uses_embedded_data:
        table.update(embedded_defaults[config.recipe])
    table.setdefault("model_dir", os.path.join("runs", model_name))
    updates = {k: v for k, v in table.items() if getattr(config, k) is None}
    config = dataclasses.replace(config, **updates)
    if config.export_dir is None:
        config = dataclasses.replace(config, export_dir=os.path.join(config.model_dir, "export"))
    for name in ("epochs", "batch_size", "image_size"):
        if getattr(config, name) is None or getattr(config, name) < 1:
            raise ValueError(f"--{name} must be a positive integer; got {getattr(config, name)!r}.")
    if config.augment in ("none", "off"):
        config = dataclasses.replace(config, augment="")
    if config.ema_decay is not None and not 0.0 <= config.ema_decay < 1.0:
        raise ValueError(f"--ema_decay must be in [0, 1); got {config.ema_decay!r}.")
    if config.r1_gamma is not None and config.r1_gamma < 0:
        raise ValueError(f"--r1_gamma must be >= 0; got {config.r1_gamma!r}.")
    if config.steps_per_epoch is not None and config.steps_per_epoch < 1:
        raise ValueError(f"--steps_per_epoch must be a positive integer; got {config.steps_per_epoch!r}.")
    return config




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
