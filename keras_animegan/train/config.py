"""Trainer settings: the config dataclass is the single statement of every flag, its default and its help.

`TrainConfig` holds the settings every trainer shares; a trainer's config subclasses
it with its own fields. Each field is declared with `flag(default, help, choices)`, and
`build_parser` turns the fields into `argparse` arguments, so a default is written once.
Flags read `--name=value` or `--name value` (as absl's did). `run()` never reads the
command line: tests and Python users build the dataclass directly.
"""

import argparse
import dataclasses
import typing
from typing import Optional


def flag(default, help, choices=None):
    """A config field that is also a command-line flag: `--<field name>`, with this default, help and choices."""
    metadata = {"help": " ".join(help.split()), "choices": tuple(choices) if choices else None}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings every trainer shares. `None` fields take the trainer's recipe defaults (`recipes.resolve`)."""

    model_dir: Optional[str] = flag(None, "Run directory: checkpoints, samples, logs, final model. Rerunning with "
                                          "the same directory resumes. Default: runs/<model>.")
    epochs: Optional[int] = flag(None, "Number of epochs.")
    steps_per_epoch: Optional[int] = flag(None, "Steps per epoch. Default: one pass over the images.")
    batch_size: Optional[int] = flag(None, "Global batch size (split across replicas).")
    image_size: Optional[int] = flag(None, "Training image height and width.")
    learning_rate: Optional[float] = flag(None, "Learning rate of both optimizers (Adam). Default: the recipe's.")
    seed: int = flag(0, "Random seed (weights, noise, shuffling).")
    image_dir: Optional[str] = flag(None, "A folder (searched recursively) or .zip of images to train on.")
    dataset: Optional[str] = flag(None, "A TensorFlow Datasets name to train on instead (e.g. faces/64px).")
    data_dir: Optional[str] = flag(None, "TensorFlow Datasets data directory for --dataset.")
    export_dir: Optional[str] = flag(None, "Export base directory. Default: <model_dir>/export.")
    export_formats: str = flag("saved_model", "Formats to export the trained generators in at the end, "
                                              "comma-separated: saved_model (TF Serving's layout), onnx (the onnx "
                                              "extra), litert; none: only the .keras file.")
    mixed_precision: str = flag("none", "Mixed precision: bf16 (mixed_bfloat16) or fp16 (mixed_float16 with dynamic "
                                        "loss scaling); network outputs and losses stay float32.",
                                ["none", "bf16", "fp16"])
    strategy: str = flag("auto", "tf.distribute strategy; auto = MirroredStrategy when more than one GPU is visible; "
                                 "multi_worker = MultiWorkerMirroredStrategy over the cluster in TF_CONFIG (only the "
                                 "chief writes).", ["auto", "mirrored", "multi_worker", "one_device", "default"])
    checkpoint_every: int = flag(200, "Also checkpoint every N steps (0: off).")
    checkpoint_minutes: float = flag(5.0, "Also checkpoint once this many minutes of training passed since the last "
                                          "checkpoint (0: off), so a killed run loses minutes, not an epoch.")
    verbose: str = flag("auto", "Keras fit verbosity (1 = progress bar).", ["auto", "0", "1", "2"])
    gan_mode: Optional[str] = flag(None, "Adversarial loss. Default: the model's (DCGAN and CartoonGAN vanilla, "
                                         "CycleGAN lsgan).", ["vanilla", "lsgan", "hinge"])
    base_filters: Optional[int] = flag(None, "Network width (DCGAN: channels at the last hidden resolution; "
                                             "CycleGAN: ngf/ndf). Default: the recipe's (README tables).")
    landmark_weight: float = flag(0.0, "CycleGAN / CartoonGAN: strength of the face landmark loss (0 = off). "
                                       "Weights the A->B->A cycle loss / the content loss with MediaPipe face-mesh "
                                       "maps.")
    kid_every: int = flag(0, "Compute KID of samples against real images every N epochs (0: off); logged beside the "
                             "losses (kid.csv, loss_curve.png, TensorBoard).")
    kid_features: str = flag("inception", "KID feature network: inception (downloads ImageNet weights), vgg16, a "
                                          "local VGG16 .weights.h5 file, or a .keras feature model.")
    kid_samples: int = flag(1000, "Images on each side of the KID comparison.")
    recipe: str = flag("modern", "Training recipe: modern = the measured best (EMA generator, DiffAugment, ...; see "
                                 "the README's KID table), report = the report's exact settings. Explicit flags "
                                 "override either.", ["modern", "report"])
    ema_decay: Optional[float] = flag(None, "EMA decay of the generator weights per step (0 = off). Default: the "
                                            "recipe's.")
    augment: Optional[str] = flag(None, "DiffAugment policy for the discriminator inputs, e.g. "
                                        "color,translation,cutout ('none' = off). Default: the recipe's.")
    r1_gamma: Optional[float] = flag(None, "R1 gradient penalty weight on real images (0 = off). Default: the "
                                           "recipe's.")
    g_learning_rate: Optional[float] = flag(None, "Generator learning rate (TTUR). Default: --learning_rate.")
    d_learning_rate: Optional[float] = flag(None, "Discriminator learning rate (TTUR). Default: --learning_rate.")
    beta_1: Optional[float] = flag(None, "Adam beta_1 of both optimizers. Default: the recipe's (0.5).")
    init_preset: Optional[str] = flag(None, "Start the generators from a preset (a shipped name, see "
                                            "keras_animegan.list_presets(), or a folder from save_to_preset): "
                                            "fine-tuning. The network settings (width, blocks, size, noise length) "
                                            "come from the preset.")

    @property
    def uses_embedded_data(self):
        return not (self.image_dir or self.dataset)


def _value_type(annotation):
    """`Optional[int]` -> int."""
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    return arguments[0] if arguments else annotation


def config_flags(config_cls, shared=None):
    """The fields of `config_cls` as flags: `[(field, type)]`; `shared=True/False` keeps only `TrainConfig`'s / the rest."""
    hints = typing.get_type_hints(config_cls)
    base = {f.name for f in dataclasses.fields(TrainConfig)}
    return [(f, _value_type(hints[f.name])) for f in dataclasses.fields(config_cls)
            if "help" in f.metadata and (shared is None or (f.name in base) == shared)]


def flag_names(config_cls, shared=None):
    """The flag names of `config_cls` (see `config_flags`)."""
    return tuple(f.name for f, _ in config_flags(config_cls, shared))


def _parse_bool(text):
    """`--flag true` / `--flag false` (also 1/0, yes/no, on/off)."""
    value = str(text).strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _add_flags(group, flags):
    for field, value_type in flags:
        if value_type is bool:
            value_type = _parse_bool
        default = "" if field.default is None else f" (default: {field.default})"
        choices = field.metadata["choices"]
        group.add_argument(f"--{field.name}", type=value_type, default=field.default, choices=choices,
                           metavar=field.name.upper() if choices is None else None,
                           help=field.metadata["help"].replace("%", "%%") + default)


def build_parser(config_cls, model_name, description):
    """The `argparse` parser of `keras-animegan train <model_name>`: the shared flags, then the model's own."""
    parser = argparse.ArgumentParser(
        prog=f"keras-animegan train {model_name}", usage=f"keras-animegan train {model_name} [flags]",
        description=description, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_flags(parser.add_argument_group("training (every model)"), config_flags(config_cls, shared=True))
    _add_flags(parser.add_argument_group(model_name), config_flags(config_cls, shared=False))
    return parser


def parse_config(config_cls, model_name, description, argv=None):
    """The command line `argv` (without the program name) as a `config_cls`; exits with usage on bad flags."""
    args = build_parser(config_cls, model_name, description).parse_args(argv)
    return config_cls(**{name: getattr(args, name) for name in flag_names(config_cls)})
