"""The five steps of a training run, which `Trainer.run` calls in order: start, restore, callbacks, fit, save.

Each step is a function of the trainer and the `Run` it shares with the others, so a
step can be read and tested alone.
"""

import dataclasses
import os
import logging
import time
from typing import Optional

import keras

from keras_animegan import callbacks as ka_callbacks
from keras_animegan import presets
from keras_animegan.export import export_model
from keras_animegan.train.kid import kid_monitor
from keras_animegan.train.recipes import export_formats
from keras_animegan.train.recipes import learning_rate
from keras_animegan.train.run_paths import RunPaths
from keras_animegan.train.run_paths import check_same_run
from keras_animegan.train.runtime import distribute_options
from keras_animegan.train.runtime import get_strategy
from keras_animegan.train.runtime import is_chief
from keras_animegan.train.runtime import set_mixed_precision
from keras_animegan.utils.run_folder import RunLock

logger = logging.getLogger("keras_animegan")


@dataclasses.dataclass
class Run:
    """What the steps of a run share."""

    strategy: object
    chief: bool
    paths: RunPaths
    data: object  # TrainData
    steps_per_epoch: int
    model: keras.Model
    checkpoint: ka_callbacks.TrainingCheckpoint
    lock: Optional[RunLock] = None  # the chief's lock on the run folder, released when the run ends


def check_run_folder(model_dir):
    """A one-line ValueError naming `--model_dir` when it is a file, or a folder (or its parent) this user
    cannot write; before anything is read or written there."""
    path = os.path.abspath(model_dir)
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        what = "is a file" if existing == path else f"is inside {existing}, which is a file"
        raise ValueError(f"--model_dir {model_dir!r} {what}, not a folder; give a folder for the run.")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "is not writable" if existing == path else f"cannot be made: {existing} is not writable"
        raise ValueError(f"--model_dir {model_dir!r} {what} by this user; give another folder.")


def start_run(trainer):
    """Step 1: the strategy (first: a multi-worker one must exist before TF runs any op), the run folder's
    lock (the chief's; a second trainer on the folder stops here), data and model."""
    config = trainer.config
    strategy = get_strategy(config.strategy)
    chief = is_chief(strategy)
    paths = RunPaths(config.model_dir)
    check_run_folder(config.model_dir)
    lock = RunLock(config.model_dir).acquire() if chief else None
    try:
        return _start_run(trainer, strategy, chief, paths, lock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise


def _start_run(trainer, strategy, chief, paths, lock):
    """Step 1 under the lock: refuse a folder of another run's settings, set precision and seed, open the data,
    build the model in the strategy's scope (loading `--init_preset`'s generators) and the checkpoint."""
    config = trainer.config
    if chief:
        check_same_run(config, paths.config_json)
    set_mixed_precision(config.mixed_precision)
    keras.utils.set_random_seed(config.seed)

    data = trainer.make_data()
    data.dataset = distribute_options(data.dataset, strategy)
    steps_per_epoch = config.steps_per_epoch or max(1, data.num_images // config.batch_size)
    devices = getattr(strategy, "num_devices", None)  # Keras's distribution (JAX): devices, one program
    logger.info(
        "Training %s on %s, %d epochs x %d steps, batch %d, %s.",
        trainer.name, data.describe(), config.epochs, steps_per_epoch, config.batch_size,
        f"{devices} device(s)" if devices else f"{strategy.num_replicas_in_sync} replica(s)",
    )
    with strategy.scope():
        model = trainer.build_model(steps_per_epoch)
        if config.init_preset:  # fine-tuning: the generators start from the preset (a checkpoint still wins)
            presets.load_weights(model, config.init_preset)
    checkpoint = ka_callbacks.TrainingCheckpoint(paths.checkpoints, config.checkpoint_every,
                                                 every_minutes=config.checkpoint_minutes)
    return Run(strategy, chief, paths, data, steps_per_epoch, model, checkpoint, lock)


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


def training_callbacks(trainer, run, resumed_from):
    """Step 3: the callbacks, in order: the guard raises before the checkpoint can save a broken state."""
    config = trainer.config
    callbacks = [ka_callbacks.NonFiniteLossGuard()]
    if not run.chief:
        logger.info("Worker %s:%d: the chief writes checkpoints, samples, logs and exports.",
                    run.strategy.cluster_resolver.task_type, run.strategy.cluster_resolver.task_id)
        return callbacks + list(trainer.extra_callbacks)
    if config.kid_every:
        # Before the loss logger: its epoch-end plot then includes this epoch's KID.
        callbacks.append(kid_monitor(config, run.model, run.data, run.paths, resumed_from))
    loss_logger = ka_callbacks.LossLogger(run.paths.losses_csv, run.paths.loss_curve, run.paths.logs,
                                          run.model.loss_names, kid_csv=run.paths.kid_csv)
    loss_logger.truncate_after(resumed_from)
    callbacks.append(loss_logger)
    callbacks += trainer.sample_callbacks(run.model, run.paths, run.data)
    callbacks.append(run.checkpoint)
    return callbacks + list(trainer.extra_callbacks)


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


def save_and_export(trainer, run):
    """Step 5 (the chief only): finalize, the `.keras` file and the exports. Returns `{format: {name: path}}`."""
    if not run.chief:
        return {}
    trainer.finalize(run.model, run.paths)
    keras_path = run.paths.model_file(trainer.name)
    from keras_animegan.utils import safe_files

    with safe_files.replacing(keras_path) as tmp:  # a link planted at the path is replaced, not written through
        run.model.save(tmp)
    formats = export_formats(trainer.config)
    if formats and keras.backend.backend() != "tensorflow":
        logger.info("Not exported: SavedModel export runs on the TensorFlow backend (so do ONNX and LiteRT). The "
                    ".keras file is backend-neutral: `KERAS_BACKEND=tensorflow keras-animegan export %s` exports it.",
                    keras_path)
        return {}
    return {fmt: export_model(run.model, fmt, trainer.config.export_dir, trainer.name,
                              networks=trainer.exports(run.model)) for fmt in formats}
