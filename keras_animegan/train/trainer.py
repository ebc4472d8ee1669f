"""`Trainer`: the base class of every trainer. A model's trainer overrides the steps that differ.

    class ToyTrainer(Trainer):
        model_class = ToyGAN
        config_class = ToyConfig            # a TrainConfig subclass: its fields are the flags
        defaults = {"modern": dict(epochs=10, batch_size=16, image_size=32, learning_rate=2e-4,
                                   base_filters=8, gan_mode="lsgan"), "report": ...}

        def build_model(self, steps_per_epoch):
            model = ToyGAN(...); model.compile(...); return model

`keras-animegan train <name>` (the name the model is registered under) parses the config
class's flags, fills what the user left unset from the recipe tables and calls `run()`:
start the run (strategy, lock, data, model), restore the last checkpoint, fit with the
callbacks, then save the `.keras` file and export (see `loop.py`). `make_data`,
`sample_callbacks`, `finalize` and `exports` have defaults that fit a one-source model.
"""

import dataclasses
import logging
import os
import sys
import time
from typing import Optional

import keras

from keras_animegan import callbacks as ka_callbacks
from keras_animegan.train import config as train_config
from keras_animegan.train import inputs
from keras_animegan.train import loop
from keras_animegan.train import recipes
from keras_animegan.utils.run_folder import RunLockedError
from keras_animegan.utils.run_folder import disk_space_message
from keras_animegan.utils.run_folder import is_disk_full

logger = logging.getLogger("keras_animegan")


@dataclasses.dataclass
class RunResult:
    """What `Trainer.run()` returns."""

    model: keras.Model
    config: train_config.TrainConfig
    paths: object  # RunPaths
    steps: int
    resumed_from_step: int
    num_images: int
    num_skipped: int
    seconds: float
    images_per_second: float
    saved_model_path: Optional[str]  # the first (main) SavedModel; None on a non-chief worker or without one
    saved_model_paths: dict  # export name -> SavedModel path; empty on a non-chief worker
    keras_path: str  # written by the chief only
    is_chief: bool = True
    export_paths: dict = dataclasses.field(default_factory=dict)  # format -> {export name: path}


class Trainer:
    """Trains one registered model from a config; subclasses set the class attributes and `build_model`.

    Args:
        config: an instance of `config_class` (None fields take the recipe's defaults).
        callbacks: more Keras callbacks for `fit` (e.g. a benchmark's snapshots), run after the trainer's own.
    """

    #: The model class trained (its registered name names the command, the `.keras` file and the exports).
    model_class = None
    #: The config dataclass: a `TrainConfig` subclass whose `flag()` fields are the model's own flags.
    config_class = train_config.TrainConfig
    #: `{recipe: {field: value}}`: the settings for a user's data.
    defaults = {}
    #: `{recipe: {field: value}}` laid over `defaults` when no data is given (the embedded demo sets).
    embedded_defaults = {}
    #: Config field -> model setting that must equal a preset's for `--init_preset`.
    preset_settings = recipes.PRESET_SETTINGS
    #: The embedded image set a one-source model trains on when no data is given (a path function).
    embedded_images = None

    def __init__(self, config=None, callbacks=()):
        self.config = self.resolve(config if config is not None else self.config_class())
        self.extra_callbacks = tuple(callbacks)

    @classmethod
    def model_name(cls):
        """The name the model is registered under (`"dcgan"`, ...)."""
        return cls.model_class.registry_name

    @property
    def name(self):
        return self.model_name()

    @classmethod
    def description(cls):
        """The text of `keras-animegan train <name> --help`: the trainer module's docstring."""
        return sys.modules[cls.__module__].__doc__ or cls.__doc__ or ""

    @classmethod
    def resolve(cls, config):
        """`config` with the unset settings filled from the recipe tables (and `--init_preset`'s network)."""
        if config.init_preset:
            config = recipes.apply_preset_settings(config, cls.model_name(), cls.model_class.__name__,
                                                   cls.preset_settings)
        return recipes.fill_defaults(config, cls.defaults, cls.embedded_defaults, cls.model_name())

    # ------------------------------------------------------------ the steps to override
    def build_model(self, steps_per_epoch):
        """The compiled model (called inside the strategy's scope, after the seed is set)."""
        raise NotImplementedError

    def make_data(self):
        """An `inputs.TrainData`; default: one image source (`--image_dir` / `--dataset`, else `embedded_images`)."""
        if self.embedded_images is None and self.config.uses_embedded_data:
            raise ValueError(f"`keras-animegan train {self.name}` needs --image_dir or --dataset.")
        return inputs.single_source_data(self.config, self.embedded_images() if self.embedded_images else None)

    def sample_callbacks(self, model, paths, data):
        """The callbacks that draw sample grids; default none."""
        return []

    def finalize(self, model, paths):
        """Runs after training, before the model is saved (e.g. an interpolation grid); default nothing."""

    def exports(self, model):
        """`{export name: network}` to write as SavedModels; default what the model says it exports."""
        return model.export_networks(self.name)

    # ------------------------------------------------------------------------ running
    def run(self):
        """Trains as the config says, resuming from `<model_dir>/checkpoints`, then saves and exports."""
        start = time.time()
        run = loop.start_run(self)
        self.current_run = run  # what `main` reports when Ctrl-C stops the run
        try:
            resumed_from = loop.restore(run, self.config)
            callbacks = loop.training_callbacks(self, run, resumed_from)
            train_seconds = loop.fit(run, self.config, callbacks, resumed_from)
            exported = loop.save_and_export(self, run)
        finally:
            if run.lock is not None:
                run.lock.release()
        steps = run.model.train_steps
        trained = steps - resumed_from
        saved = exported.get("saved_model", {})
        return RunResult(
            model=run.model, config=self.config, paths=run.paths, steps=steps, resumed_from_step=resumed_from,
            num_images=run.data.num_images, num_skipped=run.data.num_skipped, seconds=time.time() - start,
            images_per_second=(trained * self.config.batch_size / train_seconds
                               if trained and train_seconds > 0 else 0.0),
            saved_model_path=next(iter(saved.values()), None), saved_model_paths=saved,
            keras_path=run.paths.model_file(self.name), is_chief=run.chief, export_paths=exported,
        )

    @classmethod
    def main(cls, argv=None):
        """`keras-animegan train <name> [flags]`: the command line (without the program name) -> `run`.

        Returns the exit status: 0 done, 1 stopped on a non-finite loss, 2 a user error (bad flag
        value, missing file, the run folder locked by another trainer), 3 the disk is full, 130
        interrupted (Ctrl-C: one line says where the run resumes).
        """
        config = train_config.parse_config(cls.config_class, cls.model_name(), cls.description(), argv)
        setup_logging()
        trainer = None
        try:
            trainer = cls(config)  # its checks of the flags raise ValueError: a user error, below
            result = trainer.run()
        except KeyboardInterrupt:
            print(interrupted_message(trainer, config.model_dir or os.path.join("runs", cls.model_name())),
                  file=sys.stderr)
            return 130
        except ka_callbacks.NonFiniteLossError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except (ValueError, FileNotFoundError, RunLockedError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except OSError as error:
            if not is_disk_full(error):  # a file the run cannot read or write: one line naming it
                where = f"{error.filename}: " if error.filename else ""
                print(f"error: {where}{error.strerror or error}", file=sys.stderr)
                return 2
            print(disk_full_message(error, config.model_dir or os.path.join("runs", cls.model_name())),
                  file=sys.stderr)
            return 3
        print(summary(result))
        return 0


def interrupted_message(trainer, model_dir):
    """The one line a Ctrl-C prints: the step reached and the checkpoint the same command resumes from."""
    run = getattr(trainer, "current_run", None)
    if run is None:
        return "interrupted before training started; run the same command again to start."
    try:
        step = int(run.model.train_steps)
    except Exception:  # noqa: BLE001 - the model may not be built yet; the line still says how to resume
        step = None
    saved = run.checkpoint.saved_step
    where = (f"resume from its checkpoint of step {saved} in {os.path.join(model_dir, 'checkpoints')}" if saved
             else "start again (no checkpoint was written yet)")
    at = f" at step {step}" if step is not None else ""
    return f"interrupted{at}; run the same command again to {where}."


def summary(result):
    """What a finished command-line run prints."""
    if not result.is_chief:
        return f"Done: {result.steps} steps as a worker (the chief wrote the run directory)."
    from keras_animegan.export import formats

    exports = "\n".join(f"  {formats()[fmt].label + ':':<11}    {path}" for fmt, paths in result.export_paths.items()
                        for path in paths.values())
    note = ""
    if result.steps < 200:
        note = (f"\n  Note: {result.steps} steps is a smoke run: a GAN draws flat or noisy images until it has "
                "trained for a few thousand steps (the default recipe).")
    return (f"Done: {result.steps} steps ({result.steps - result.resumed_from_step} this run) in "
            f"{result.seconds:.0f} s, {result.images_per_second:.1f} img/s. Skipped {result.num_skipped} unreadable "
            f"file(s).\n  run directory: {result.paths.model_dir}\n  keras model:   {result.keras_path}\n{exports}"
            f"{note}")


def disk_full_message(error, model_dir):
    """One line for a full disk: what failed, and that the last checkpoint is kept."""
    text = str(error).strip().splitlines()
    detail = text[0] if text else type(error).__name__
    if "for a checkpoint" not in detail:  # a log or sample write failed: the checkpoint is untouched
        detail = f"{detail}; the last good checkpoint in {os.path.join(model_dir, 'checkpoints')} is kept"
    return (f"error: the disk is full ({disk_space_message(model_dir)}). {detail}. Free some space and run "
            "the same command again to resume.")


def setup_logging():
    """Plain `INFO` logging to stderr for command-line runs (TF's own C++ chatter is turned down)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.WARNING)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)  # "Unable to initialize backend 'tpu'"
