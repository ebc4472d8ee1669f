"""The training loop every trainer shares: run directory, restore, callbacks, fit, save and export.

`fit_and_export` reads as the five steps of a run; each is a function below it.
Settings and flags live in `train/options.py`, the strategy and precision in
`train/runtime.py`, image sources in `train/inputs.py`.
"""

import dataclasses
import json
import logging
import os
import time
from typing import Optional

import keras
import numpy as np

from keras_animegan import callbacks as ka_callbacks
from keras_animegan import presets
from keras_animegan.export import export_generator
from keras_animegan.utils.run_folder import RunLock
from keras_animegan.utils.run_folder import RunLockedError
from keras_animegan.utils.run_folder import disk_space_message
from keras_animegan.utils.run_folder import is_disk_full
from keras_animegan.train.inputs import first_images
from keras_animegan.train.options import TrainConfig
from keras_animegan.train.options import parse_config
from keras_animegan.train.options import learning_rate
from keras_animegan.train.runtime import distribute_options
from keras_animegan.train.runtime import get_strategy
from keras_animegan.train.runtime import is_chief
from keras_animegan.train.runtime import set_mixed_precision

logger = logging.getLogger("keras_animegan")


# ------------------------------------------------------------------------ runs
@dataclasses.dataclass
class RunPaths:
    """Where a run writes, all inside `model_dir` (the `--model_dir` flag): see the training docs' list."""

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
            return np.concatenate([keras.ops.convert_to_numpy(m(inputs[i:i + chunk], training=False)) for i in range(0, count, chunk)])
    ka_callbacks.truncate_csv(paths.kid_csv, resumed_from, "step")  # a resumed run recomputes them
    return ka_callbacks.KIDMonitor(real, features, sample_fn, every_n_epochs=config.kid_every,
                                   num_subsets=50, subset_size=max(2, count // 2), log_dir=paths.logs,
                                   csv_path=paths.kid_csv)


def set_learning_rate(optimizer, value):
    """Sets a restored optimizer's constant learning rate to `value`; a schedule is left alone.

    A restored checkpoint brings back the learning-rate variable, and the config
    wins. Schedules are rebuilt from the config and have no variable. The
    optimizer's public config tells them apart (a schedule serializes to a
    dict); a loss-scale optimizer (fp16) holds the real one as `inner_optimizer`.
    """
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    if not isinstance(inner.get_config()["learning_rate"], dict):
        inner.learning_rate = value


def fit_and_export(config, model_name, build_model, make_data, extra_callbacks, finalize=None, exports=None,
                   callbacks=()):
    """Trains a GAN from `config`, resuming from `<model_dir>/checkpoints`, then saves and exports.

    Args:
        config: a resolved trainer config (see `train.options.resolve`).
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
    run = start_run(config, model_name, build_model, make_data)
    try:
        resumed_from = restore(run, config)
        run_callbacks = training_callbacks(run, config, extra_callbacks, resumed_from) + list(callbacks)
        train_seconds = fit(run, config, run_callbacks, resumed_from)
        saved = save_and_export(run, config, model_name, finalize, exports)
    finally:
        if run.lock is not None:
            run.lock.release()
    steps = run.model.train_steps
    trained = steps - resumed_from
    return RunResult(
        model=run.model, config=config, paths=run.paths, steps=steps, resumed_from_step=resumed_from,
        num_images=run.data.num_images, num_skipped=run.data.num_skipped, seconds=time.time() - start,
        images_per_second=trained * config.batch_size / train_seconds if trained and train_seconds > 0 else 0.0,
        saved_model_path=next(iter(saved.values()), None), saved_model_paths=saved,
        keras_path=os.path.join(config.model_dir, f"{model_name}.keras"), is_chief=run.chief,
    )


@dataclasses.dataclass
class Run:
    """What the steps of `fit_and_export` share."""

    strategy: object
    chief: bool
    paths: "RunPaths"
    data: object  # TrainData
    steps_per_epoch: int
    model: keras.Model
    checkpoint: ka_callbacks.TrainingCheckpoint
    lock: Optional[RunLock] = None  # the chief's lock on the run folder, released when the run ends


def start_run(config, model_name, build_model, make_data):
    """Step 1: the strategy (first: a multi-worker one must exist before TF runs any op), the run folder's
    lock (the chief's; a second trainer on the folder stops here), data and model."""
    strategy = get_strategy(config.strategy)
    chief = is_chief(strategy)
    paths = RunPaths(config.model_dir)
    lock = RunLock(config.model_dir).acquire() if chief else None
    try:
        return _start_run(config, model_name, build_model, make_data, strategy, chief, paths, lock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise


def _start_run(config, model_name, build_model, make_data, strategy, chief, paths, lock):
    """Step 1 under the lock: refuse a folder of another run's settings, set precision and seed, open the data,
    build the model in the strategy's scope (loading `--init_preset`'s generators) and the checkpoint."""
    if chief:
        _check_same_run(config, paths.config_json)
    set_mixed_precision(config.mixed_precision)
    keras.utils.set_random_seed(config.seed)

    data = make_data(config)
    data.dataset = distribute_options(data.dataset, strategy)
    steps_per_epoch = config.steps_per_epoch or max(1, data.num_images // config.batch_size)
    devices = getattr(strategy, "num_devices", None)  # Keras's distribution (JAX): devices, one program
    logger.info(
        "Training %s on %s, %d epochs x %d steps, batch %d, %s.",
        model_name, data.describe(), config.epochs, steps_per_epoch, config.batch_size,
        f"{devices} device(s)" if devices else f"{strategy.num_replicas_in_sync} replica(s)",
    )
    with strategy.scope():
        model = build_model(steps_per_epoch)
        if config.init_preset:  # fine-tuning: the generators start from the preset (a checkpoint still wins)
            presets.load_weights(model, config.init_preset)
    checkpoint = ka_callbacks.TrainingCheckpoint(paths.checkpoints, config.checkpoint_every)
    return Run(strategy, chief, paths, data, steps_per_epoch, model, checkpoint, lock)


def restore(run, config):
    """Step 2: every worker restores the last checkpoint (so --model_dir must be storage all workers read).

    Returns the step it resumes from (0 for a new run).
    """
    resumed_from = run.checkpoint.restore(run.model)
    if resumed_from:
        for optimizer, network in ((run.model.g_optimizer, "g"), (run.model.d_optimizer, "d")):
            set_learning_rate(optimizer, learning_rate(config, network))
        logger.info("Resuming from step %d of %d (%s).", resumed_from, config.epochs * run.steps_per_epoch,
                    run.checkpoint.path)
    return resumed_from


def training_callbacks(run, config, extra_callbacks, resumed_from):
    """Step 3: the callbacks, in order: the guard raises before the checkpoint can save a broken state."""
    callbacks = [ka_callbacks.NonFiniteLossGuard()]
    if not run.chief:
        logger.info("Worker %s:%d: the chief writes checkpoints, samples, logs and exports.",
                    run.strategy.cluster_resolver.task_type, run.strategy.cluster_resolver.task_id)
        return callbacks
    if config.kid_every:
        # Before the loss logger: its epoch-end plot then includes this epoch's KID.
        callbacks.append(kid_monitor(config, run.model, run.data, run.paths, resumed_from))
    loss_logger = ka_callbacks.LossLogger(run.paths.losses_csv, run.paths.loss_curve, run.paths.logs,
                                          run.model.loss_names, kid_csv=run.paths.kid_csv)
    loss_logger.truncate_after(resumed_from)
    callbacks.append(loss_logger)
    callbacks += extra_callbacks(run.model, run.paths, run.data)
    callbacks.append(run.checkpoint)
    return callbacks


def fit(run, config, callbacks, resumed_from):
    """Step 4: `model.fit` from the resumed step: first the rest of an interrupted epoch. Returns seconds."""
    verbose = int(config.verbose) if config.verbose != "auto" else "auto"
    epoch, done_in_epoch = divmod(resumed_from, run.steps_per_epoch)
    t0 = time.time()
    if epoch < config.epochs and done_in_epoch:
        run.model.fit(run.data.dataset, epochs=epoch + 1, initial_epoch=epoch,
                      steps_per_epoch=run.steps_per_epoch - done_in_epoch, callbacks=callbacks, verbose=verbose,
                      shuffle=False)
        epoch += 1
    if epoch < config.epochs:
        run.model.fit(run.data.dataset, epochs=config.epochs, initial_epoch=epoch, steps_per_epoch=run.steps_per_epoch,
                      callbacks=callbacks, verbose=verbose, shuffle=False)
    if run.data.num_skipped:
        logger.warning("Skipped %d unreadable image file(s) in %s.", run.data.num_skipped, run.data.describe())
    return time.time() - t0


def save_and_export(run, config, model_name, finalize, exports):
    """Step 5 (the chief only): finalize, the `.keras` file and the SavedModels. Returns `{name: path}`."""
    if not run.chief:
        return {}
    if finalize is not None:
        finalize(run.model, run.paths)
    keras_path = os.path.join(config.model_dir, f"{model_name}.keras")
    run.model.save(keras_path)
    if keras.backend.backend() != "tensorflow":
        logger.info("No SavedModel written: SavedModel export runs on the TensorFlow backend. The .keras file is "
                    "backend-neutral: `KERAS_BACKEND=tensorflow keras-animegan export %s` exports it.", keras_path)
        return {}
    targets = exports(run.model) if exports is not None else [(model_name, run.model.inference_network())]
    return {name: export_generator(run.model, config.export_dir, name, network=network) for name, network in targets}


def run_main(argv, model_name, description, config_cls, model_flags, run):
    """What every trainer's `main(argv)` does: command line -> config -> `run(config)`, with clean errors.

    Returns the exit status: 0 done, 1 stopped on a non-finite loss, 2 a user error (bad flag
    value, missing file, the run folder locked by another trainer), 3 the disk is full.
    """
    import sys

    config = parse_config(config_cls, model_name, description, model_flags, argv)
    setup_logging()
    try:
        result = run(config)
    except ka_callbacks.NonFiniteLossError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError, RunLockedError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if not is_disk_full(error):
            raise
        detail = _first_line(error)
        if "for a checkpoint" not in detail:  # a log or sample write failed: the checkpoint is untouched
            detail = f"{detail}; the last good checkpoint in {os.path.join(config.model_dir, 'checkpoints')} is kept"
        print(f"error: the disk is full ({disk_space_message(config.model_dir)}). {detail}. Free some space and run "
              "the same command again to resume.", file=sys.stderr)
        return 3
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


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def setup_logging():
    """Plain `INFO` logging to stderr for command-line runs (TF's own C++ chatter is turned down)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.WARNING)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)  # "Unable to initialize backend 'tpu'"
