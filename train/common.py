"""What every trainer shares: flags (defined once, here), config, strategy, callbacks, fit and export.

A trainer module (`train/dcgan.py`, ...) defines only its own flags, turns
flags into a frozen config dataclass in `main(argv)`, and calls `run(config)`,
which never reads flags; tests call `run()` directly with a tiny config.
"""

import dataclasses
import json
import logging
import os
import time
from typing import Optional

import keras
import numpy as np
import tensorflow as tf
from absl import flags

from keras_animegan import callbacks as ka_callbacks
from keras_animegan import data as ka_data
from keras_animegan.export import export_generator

logger = logging.getLogger("keras_animegan")

# ----------------------------------------------------------------------------- flags
# Defaults of None mean "the trainer's default" (see each trainer's DEFAULTS).
flags.DEFINE_string("model_dir", None, "Run directory: checkpoints, samples, logs, final model. "
                    "Rerunning with the same directory resumes. Default: runs/<model>.")
flags.DEFINE_integer("epochs", None, "Number of epochs.")
flags.DEFINE_integer("steps_per_epoch", None, "Steps per epoch. Default: one pass over the images.")
flags.DEFINE_integer("batch_size", None, "Global batch size (split across replicas).")
flags.DEFINE_integer("image_size", None, "Training image height and width.")
flags.DEFINE_float("learning_rate", None, "Learning rate of both optimizers (Adam). Default: the recipe's.")
flags.DEFINE_integer("seed", 0, "Random seed (weights, noise, shuffling).")
flags.DEFINE_string("image_dir", None, "A folder (searched recursively) or .zip of images to train on.")
flags.DEFINE_string("dataset", None, "A TensorFlow Datasets name to train on instead (e.g. faces/64px).")
flags.DEFINE_string("data_dir", None, "TensorFlow Datasets data directory for --dataset.")
flags.DEFINE_string("export_dir", None, "SavedModel export base directory. Default: <model_dir>/export.")
flags.DEFINE_enum("mixed_precision", "none", ["none", "bf16", "fp16"],
                  "Mixed precision: bf16 (mixed_bfloat16) or fp16 (mixed_float16 with dynamic loss scaling); "
                  "network outputs and losses stay float32.")
flags.DEFINE_enum("strategy", "auto", ["auto", "mirrored", "multi_worker", "one_device", "default"],
                  "tf.distribute strategy; auto = MirroredStrategy when more than one GPU is visible; "
                  "multi_worker = MultiWorkerMirroredStrategy over the cluster in TF_CONFIG (only the chief writes).")
flags.DEFINE_integer("checkpoint_every", 200, "Also checkpoint every N steps (0: only at epoch ends).")
flags.DEFINE_enum("verbose", "auto", ["auto", "0", "1", "2"], "Keras fit verbosity (1 = progress bar).")
flags.DEFINE_enum("gan_mode", None, ["vanilla", "lsgan", "hinge"],
                  "Adversarial loss. Default: the model's (DCGAN vanilla, CycleGAN lsgan).")
flags.DEFINE_float("landmark_weight", 0.0, "CycleGAN / CartoonGAN: strength of the face landmark loss (0 = off). "
                   "Weights the A->B->A cycle loss / the content loss with MediaPipe face-mesh maps.")
flags.DEFINE_integer("base_filters", None, "Network width (DCGAN: channels at the last hidden resolution; "
                     "CycleGAN: ngf/ndf). Default: the recipe's (README tables).")

flags.DEFINE_enum("recipe", "modern", ["modern", "report"],
                  "Training recipe: modern = the measured best (EMA generator, DiffAugment, ...; see the README's "
                  "KID table), report = the report's exact settings. Explicit flags override either.")
flags.DEFINE_float("ema_decay", None, "EMA decay of the generator weights per step (0 = off). Default: the recipe's.")
flags.DEFINE_string("augment", None, "DiffAugment policy for the discriminator inputs, e.g. color,translation,cutout "
                    "('none' = off). Default: the recipe's.")
flags.DEFINE_float("r1_gamma", None, "R1 gradient penalty weight on real images (0 = off). Default: the recipe's.")
flags.DEFINE_float("g_learning_rate", None, "Generator learning rate (TTUR). Default: --learning_rate.")
flags.DEFINE_float("d_learning_rate", None, "Discriminator learning rate (TTUR). Default: --learning_rate.")
flags.DEFINE_float("beta_1", None, "Adam beta_1 of both optimizers. Default: the recipe's (0.5).")

flags.DEFINE_integer("kid_every", 0, "Compute KID of samples against real images every N epochs (0: off); "
                     "logged beside the losses (kid.csv, loss_curve.png, TensorBoard).")
flags.DEFINE_string("kid_features", "inception", "KID feature network: inception (downloads ImageNet weights), "
                    "vgg16, a local VGG16 .weights.h5 file, or a .keras feature model.")
flags.DEFINE_integer("kid_samples", 1000, "Images on each side of the KID comparison.")

FLAGS = flags.FLAGS

SHARED_FLAGS = (
    "model_dir", "epochs", "steps_per_epoch", "batch_size", "image_size", "learning_rate", "seed",
    "image_dir", "dataset", "data_dir", "export_dir", "mixed_precision", "strategy",
    "checkpoint_every", "verbose", "gan_mode", "base_filters", "landmark_weight", "kid_every", "kid_features",
    "kid_samples", "recipe", "ema_decay", "augment", "r1_gamma", "g_learning_rate", "d_learning_rate", "beta_1",
)


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

    @property
    def uses_embedded_data(self):
        return not (self.image_dir or self.dataset)


def config_from_flags(config_cls, names=()):
    """Builds `config_cls` from the shared flags plus the trainer's own flag `names`."""
    return config_cls(**{name: FLAGS[name].value for name in SHARED_FLAGS + tuple(names)})


# What every recipe sets unless the trainer's table says otherwise: the report trained with
# none of the modern stabilizers.
REPORT_TRAINING = dict(ema_decay=0.0, augment="", r1_gamma=0.0, beta_1=0.5)


def resolve(config, defaults, embedded_defaults, model_name):
    """Fills `None` fields from the tables of `config.recipe`.

    `defaults` and `embedded_defaults` map a recipe name (`"report"`,
    `"modern"`) to a table of field values; `embedded_defaults` is laid over
    `defaults` when no data source is given (the demo on the embedded sets).
    Fields the user set (not None) are kept.
    """
    if config.recipe not in defaults:
        raise ValueError(f"--recipe must be one of {sorted(defaults)}; got {config.recipe!r}.")
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


# ----------------------------------------------------------------- environment
def set_mixed_precision(mode):
    """Sets Keras's global dtype policy for `mode` in {"none", "bf16", "fp16"}."""
    policies = {"none": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
    if mode not in policies:
        raise ValueError(f"--mixed_precision must be one of {sorted(policies)}; got {mode!r}.")
    keras.mixed_precision.set_dtype_policy(policies[mode])


def get_strategy(name):
    """The `tf.distribute` strategy for `--strategy`.

    `multi_worker` reads the cluster from the `TF_CONFIG` environment variable
    (one process per machine, same command everywhere; see the README) and
    must be created before TensorFlow runs any op, which `fit_and_export` does.
    """
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("--strategy=multi_worker needs the TF_CONFIG environment variable "
                             '(e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                             '"task": {"type": "worker", "index": 0}}).')
        try:
            tf_config = json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as error:
            raise ValueError(f"TF_CONFIG is not valid JSON: {error}") from None
        if not isinstance(tf_config, dict) or "cluster" not in tf_config or "task" not in tf_config:
            raise ValueError("TF_CONFIG must hold 'cluster' and 'task' for --strategy=multi_worker; "
                             f"got {os.environ['TF_CONFIG']!r}.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
    if name == "default":
        return tf.distribute.get_strategy()
    raise ValueError(f"Unknown --strategy={name!r}.")


def is_chief(strategy):
    """Whether this process writes checkpoints, samples, logs and exports.

    Single-process strategies: always. Multi-worker: the `chief` task, or
    worker 0 when the cluster has no chief (TF's convention).
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def distribute_options(dataset, strategy):
    """Multi-worker: shard by element (our sources are generators and zips, not TFRecord files)."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return dataset.with_options(options)
    return dataset


def open_source(config, embedded_path):
    if config.uses_embedded_data:
        return ka_data.ImageSource(embedded_path)
    return ka_data.open_image_source(image_dir=config.image_dir, dataset=config.dataset, data_dir=config.data_dir)


# ------------------------------------------------------------------------ runs
@dataclasses.dataclass
class RunPaths:
    model_dir: str

    @property
    def checkpoints(self):
        return os.path.join(self.model_dir, "checkpoints")

    @property
    def samples(self):
        return os.path.join(self.model_dir, "samples")

    @property
    def logs(self):
        return os.path.join(self.model_dir, "logs")

    @property
    def losses_csv(self):
        return os.path.join(self.model_dir, "losses.csv")

    @property
    def loss_curve(self):
        return os.path.join(self.model_dir, "loss_curve.png")

    @property
    def kid_csv(self):
        return os.path.join(self.model_dir, "kid.csv")

    @property
    def config_json(self):
        return os.path.join(self.model_dir, "config.json")


@dataclasses.dataclass
class RunResult:
    """What `run()` returns."""

    model: keras.Model
    config: TrainConfig
    paths: RunPaths
    steps: int
    resumed_from_step: int
    num_images: int
    num_skipped: int
    seconds: float
    images_per_second: float
    saved_model_path: Optional[str]  # the first (main) export; None on a non-chief worker
    saved_model_paths: dict  # export name -> path; empty on a non-chief worker
    keras_path: str  # written by the chief only
    is_chief: bool = True


# Fields that may change between a run and its resumption.
# The learning rate may change (e.g. lowered after a non-finite loss stopped a run).
_RESUMABLE_CHANGES = {
    "epochs", "export_dir", "verbose", "checkpoint_every", "strategy", "model_dir", "learning_rate",
    "g_learning_rate", "d_learning_rate",
    "mixed_precision", "kid_every", "kid_features", "kid_samples",
}


def _check_same_run(config, path):
    current = dataclasses.asdict(config)
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        changed = {
            k: (previous.get(k), v)
            for k, v in current.items()
            if k not in _RESUMABLE_CHANGES and previous.get(k) != v
        }
        # fp16 adds loss-scale variables to the optimizers: its checkpoints only resume as fp16.
        precisions = {previous.get("mixed_precision", "none"), current["mixed_precision"]}
        if "fp16" in precisions and len(precisions) == 2:
            changed["mixed_precision"] = (previous.get("mixed_precision", "none"), current["mixed_precision"])
        if changed:
            details = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in sorted(changed.items()))
            raise ValueError(
                f"--model_dir {config.model_dir!r} holds a run with other settings ({details}). "
                "Resume with the same settings, or pass a new --model_dir."
            )
    os.makedirs(config.model_dir, exist_ok=True)
    with open(path, "w") as f:
        json.dump(current, f, indent=2, sort_keys=True)


@dataclasses.dataclass
class TrainData:
    """What a trainer's `make_data` returns: the batches to fit on and where they come from."""

    dataset: tf.data.Dataset
    num_images: int  # images in one epoch's worth of data (sets the default steps per epoch)
    sources: list  # ImageSource / TFDSImageSource objects (for skip counts and the log)

    @property
    def num_skipped(self):
        return sum(source.num_skipped for source in self.sources)

    def describe(self):
        return " + ".join(f"{source.path} ({len(source)} images)" for source in self.sources)


def open_named_source(spec, default_path, config, label):
    """A trainer's named input (`--domain_a`, `--photos`, ...): folder, zip or TFDS name; else the embedded set."""
    if spec:
        return ka_data.resolve_image_source(spec, data_dir=config.data_dir)
    logger.info("%s: the embedded set %s.", label, default_path)
    return ka_data.ImageSource(default_path)


def first_images(source, image_size, count):
    """The first `count` readable images of `source` in file order, [-1, 1]: fixed inputs for sample grids."""
    ds = source.dataset(image_size, count, shuffle=False, repeat=True, drop_remainder=True, cache=False)
    return next(iter(ds)).numpy()


def refuse_single_source_flags(config, trainer, flags_to_use):
    """Two-source trainers name their inputs; `--image_dir` / `--dataset` would be silently ignored."""
    if config.image_dir or config.dataset:
        raise ValueError(f"{trainer} takes {flags_to_use} (folder, .zip or TFDS name each), "
                         "not --image_dir / --dataset.")


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


def landmark_weights(config):
    """The weight-map function for `--landmark_weight`, or None when it is 0."""
    if config.landmark_weight < 0:
        raise ValueError(f"--landmark_weight must be >= 0; got {config.landmark_weight}.")
    if not config.landmark_weight:
        return None
    from keras_animegan.landmarks import LandmarkWeights

    return LandmarkWeights(strength=config.landmark_weight)


def single_source_data(config, embedded_path):
    """`make_data` for one image source: `--image_dir` / `--dataset`, else the embedded set."""
    if config.landmark_weight:
        raise ValueError("--landmark_weight applies to train.cyclegan and train.cartoongan (photo inputs), "
                         "not to this trainer.")
    source = open_source(config, embedded_path)
    dataset = source.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed)
    return TrainData(dataset, len(source), [source])


def kid_monitor(config, model, data, paths, resumed_from):
    """A `KIDMonitor`: the model's outputs against the last source's images (DCGAN: the training images;
    CycleGAN: domain B; CartoonGAN: the cartoons), translators fed the first source's first images."""
    from keras_animegan import metrics

    if config.kid_every < 0 or config.kid_samples < 2:
        raise ValueError(f"--kid_every must be >= 0 and --kid_samples >= 2; got {config.kid_every}, "
                         f"{config.kid_samples}.")
    features = metrics.feature_model(config.kid_features, config.image_size)
    count = min(config.kid_samples, *(len(source) for source in data.sources))
    real = first_images(data.sources[-1], config.image_size, count)
    chunk = 100
    if hasattr(model, "sample"):
        def sample_fn(m):
            return np.concatenate([np.asarray(m.sample(min(chunk, count - i), seed=i)) for i in range(0, count, chunk)])
    else:
        inputs = first_images(data.sources[0], config.image_size, count)

        def sample_fn(m):
            return np.concatenate([np.asarray(m(inputs[i:i + chunk], training=False)) for i in range(0, count, chunk)])
    ka_callbacks.truncate_csv(paths.kid_csv, resumed_from, "step")  # a resumed run recomputes them
    return ka_callbacks.KIDMonitor(real, features, sample_fn, every_n_epochs=config.kid_every,
                                   subset_size=min(1000, count), log_dir=paths.logs, csv_path=paths.kid_csv)


def _set_learning_rate(optimizer, value):
    # A restored checkpoint brings back the optimizer's learning-rate variable; the config
    # wins. Learning-rate schedules are rebuilt from the config and have no variable.
    if isinstance(optimizer._learning_rate, keras.Variable):
        optimizer.learning_rate = value


def fit_and_export(config, model_name, build_model, make_data, extra_callbacks, finalize=None, exports=None,
                   callbacks=()):
    """Trains a GAN from `config`, resuming from `<model_dir>/checkpoints`, then saves and exports.

    Args:
        config: a resolved trainer config (see `resolve`).
        model_name: `"dcgan"`, ...: names the `.keras` file (and the export folder by default).
        build_model: `(steps_per_epoch) -> GANModel`, compiled; called inside the strategy scope.
        make_data: `(config) -> TrainData`.
        extra_callbacks: `(model, paths, data) -> [Callback]`: the trainer's sample writers.
        finalize: optional `(model, paths) -> None`, run after training (e.g. interpolation grids).
        exports: optional `(model) -> [(export_name, network)]`; default
            `[(model_name, model.inference_network())]` (the EMA generator when the model keeps one).
        callbacks: more Keras callbacks for `fit` (e.g. a benchmark's snapshots), run after the trainer's own.

    Returns:
        A `RunResult`.
    """
    start = time.time()
    user_callbacks = list(callbacks)
    # First: a multi-worker strategy must exist before TensorFlow runs any op.
    strategy = get_strategy(config.strategy)
    chief = is_chief(strategy)
    paths = RunPaths(config.model_dir)
    if chief:
        _check_same_run(config, paths.config_json)
    set_mixed_precision(config.mixed_precision)
    keras.utils.set_random_seed(config.seed)

    data = make_data(config)
    data.dataset = distribute_options(data.dataset, strategy)
    steps_per_epoch = config.steps_per_epoch or max(1, data.num_images // config.batch_size)
    logger.info(
        "Training %s on %s, %d epochs x %d steps, batch %d, %d replica(s).",
        model_name, data.describe(), config.epochs, steps_per_epoch, config.batch_size,
        strategy.num_replicas_in_sync,
    )

    with strategy.scope():
        model = build_model(steps_per_epoch)
    # Every worker restores (so --model_dir must be storage all workers read); only the chief writes.
    checkpoint = ka_callbacks.TrainingCheckpoint(paths.checkpoints, config.checkpoint_every)
    resumed_from = checkpoint.restore(model)
    if resumed_from:
        for optimizer, network in ((model.g_optimizer, "g"), (model.d_optimizer, "d")):
            _set_learning_rate(optimizer, learning_rate(config, network))
    total_steps = config.epochs * steps_per_epoch
    if resumed_from:
        logger.info("Resuming from step %d of %d (%s).", resumed_from, total_steps, checkpoint.path)

    # Order matters: the guard raises before the checkpoint can save a broken state.
    callbacks = [ka_callbacks.NonFiniteLossGuard()]
    if chief:
        if config.kid_every:
            # Before the loss logger: its epoch-end plot then includes this epoch's KID.
            callbacks.append(kid_monitor(config, model, data, paths, resumed_from))
        loss_logger = ka_callbacks.LossLogger(paths.losses_csv, paths.loss_curve, paths.logs, model.loss_names,
                                              kid_csv=paths.kid_csv)
        loss_logger.truncate_after(resumed_from)
        callbacks.append(loss_logger)
        callbacks += extra_callbacks(model, paths, data)
    else:
        logger.info("Worker %s:%d: the chief writes checkpoints, samples, logs and exports.",
                    strategy.cluster_resolver.task_type, strategy.cluster_resolver.task_id)
    if chief:
        callbacks.append(checkpoint)
    callbacks += user_callbacks

    verbose = int(config.verbose) if config.verbose != "auto" else "auto"
    epoch, done_in_epoch = divmod(resumed_from, steps_per_epoch)
    t0 = time.time()
    if epoch < config.epochs and done_in_epoch:
        # Finish the interrupted epoch first, with only its remaining steps.
        model.fit(data.dataset, epochs=epoch + 1, initial_epoch=epoch, steps_per_epoch=steps_per_epoch - done_in_epoch,
                  callbacks=callbacks, verbose=verbose, shuffle=False)
        epoch += 1
    if epoch < config.epochs:
        model.fit(data.dataset, epochs=config.epochs, initial_epoch=epoch, steps_per_epoch=steps_per_epoch,
                  callbacks=callbacks, verbose=verbose, shuffle=False)
    train_seconds = time.time() - t0
    steps = model.train_steps
    trained = steps - resumed_from
    if data.num_skipped:
        logger.warning("Skipped %d unreadable image file(s) in %s.", data.num_skipped, data.describe())

    keras_path = os.path.join(config.model_dir, f"{model_name}.keras")
    saved_model_paths = {}
    if chief:
        if finalize is not None:
            finalize(model, paths)
        model.save(keras_path)
        targets = exports(model) if exports is not None else [(model_name, model.inference_network())]
        saved_model_paths = {
            name: export_generator(model, config.export_dir, name, network=network) for name, network in targets
        }
    return RunResult(
        model=model,
        config=config,
        paths=paths,
        steps=steps,
        resumed_from_step=resumed_from,
        num_images=data.num_images,
        num_skipped=data.num_skipped,
        seconds=time.time() - start,
        images_per_second=trained * config.batch_size / train_seconds if trained and train_seconds > 0 else 0.0,
        saved_model_path=next(iter(saved_model_paths.values()), None),
        saved_model_paths=saved_model_paths,
        keras_path=keras_path,
        is_chief=chief,
    )


def run_main(argv, config_cls, model_flags, run):
    """What every trainer's `main(argv)` does: flags -> config -> `run(config)`, with clean errors."""
    import sys

    from absl import app

    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    setup_logging()
    config = config_from_flags(config_cls, model_flags)
    try:
        result = run(config)
    except ka_callbacks.NonFiniteLossError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not result.is_chief:
        print(f"Done: {result.steps} steps as a worker (the chief wrote the run directory).")
        return 0
    exports = "\n".join(f"  SavedModel:    {path}" for path in result.saved_model_paths.values())
    print(
        f"Done: {result.steps} steps ({result.steps - result.resumed_from_step} this run) in {result.seconds:.0f} s, "
        f"{result.images_per_second:.1f} img/s. Skipped {result.num_skipped} unreadable file(s).\n"
        f"  run directory: {result.paths.model_dir}\n  keras model:   {result.keras_path}\n{exports}"
    )
    return 0


def setup_logging():
    """Plain `INFO` logging to stderr for command-line runs (TF's own C++ chatter is turned down)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.WARNING)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
