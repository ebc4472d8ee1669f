"""Keras callbacks the trainers use: checkpoints, non-finite guard, loss logs, sample grids."""

import csv
import glob
import logging
import math
import os

import keras
import numpy as np
import tensorflow as tf

from keras_animegan import visualization

logger = logging.getLogger("keras_animegan")


class NonFiniteLossError(RuntimeError):
    """Raised when a training loss becomes NaN or infinite."""


def _float_logs(logs):
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            pass
    return out


class NonFiniteLossGuard(keras.callbacks.Callback):
    """Stops training with `NonFiniteLossError` as soon as any logged loss is NaN or Inf.

    It raises inside `on_train_batch_end`, before later callbacks run, so a
    `TrainingCheckpoint` placed after it never saves the broken state.
    """

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: v for k, v in _float_logs(logs).items() if not math.isfinite(v)}
        if bad:
            step = self.model.train_steps
            raise NonFiniteLossError(
                f"Non-finite loss at step {step}: "
                + ", ".join(f"{k}={v}" for k, v in sorted(bad.items()))
                + ". Training stopped; the last good checkpoint is kept. Try a lower "
                "--learning_rate, another --gan_mode, or --mixed_precision=none."
            )


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves model + optimizer state every `every_n_steps` steps and at every epoch end.

    The training step count is the generator optimizer's `iterations`, which
    is restored with the weights, so a resumed run knows where it stopped
    (also mid-epoch). Writes are atomic (temporary file + rename), and a state
    with non-finite weights is never written over the last good one.

    Args:
        directory: where `latest.weights.h5` lives.
        every_n_steps: save interval in steps; 0 or None: epoch ends only.
    """

    FILENAME = "latest.weights.h5"

    def __init__(self, directory, every_n_steps=None):
        super().__init__()
        self.directory = os.fspath(directory)
        self.every_n_steps = every_n_steps or 0
        self.path = os.path.join(self.directory, self.FILENAME)

    def exists(self):
        return os.path.exists(self.path)

    def restore(self, model):
        """Loads the latest checkpoint into `model` (compiled); returns the restored step or 0."""
        if not self.exists():
            return 0
        model.load_weights(self.path)
        return model.train_steps

    def save(self):
        model = self.model
        weights = model.weights + model.g_optimizer.variables + model.d_optimizer.variables
        if not all(np.all(np.isfinite(np.asarray(v, dtype=np.float32))) for v in weights if v.dtype != "string"):
            logger.warning("Not checkpointing step %d: some weights are not finite.", model.train_steps)
            return False
        os.makedirs(self.directory, exist_ok=True)
        tmp = os.path.join(self.directory, "saving.weights.h5")
        model.save_weights(tmp, overwrite=True)
        os.replace(tmp, self.path)
        return True

    def on_train_batch_end(self, batch, logs=None):
        if self.every_n_steps and self.model.train_steps % self.every_n_steps == 0:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.save()


def truncate_csv(path, step, column):
    """Drops the rows of a CSV log whose `column` (a step number) is past `step`; keeps the header."""
    if not os.path.exists(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    index = rows[0].index(column)
    kept = [rows[0]] + [r for r in rows[1:] if r and int(r[index]) <= step]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(kept)


class LossLogger(keras.callbacks.Callback):
    """Per-step losses to `losses.csv` and TensorBoard; a loss-curve PNG at every epoch end.

    Keras reports running epoch means; this recovers each step's own value
    from consecutive means, so the CSV and the plot show per-step losses.

    Args:
        csv_path: the CSV file (appended to; rows past a restored step are dropped).
        plot_path: the loss-curve PNG.
        log_dir: TensorBoard log directory (or None).
        names: the loss names to log and plot.
        kid_csv: optional CSV written by `KIDMonitor`; when it has rows, the plot
            gets a KID panel below the losses.
    """

    def __init__(self, csv_path, plot_path, log_dir, names, kid_csv=None):
        super().__init__()
        self.csv_path, self.plot_path, self.names = csv_path, plot_path, list(names)
        self.kid_csv = kid_csv
        self.log_dir = log_dir
        self._file = self._writer = self._tb = None
        self._prev = {}

    def truncate_after(self, step):
        """Drops rows past `step` (left by a run killed after its last checkpoint)."""
        truncate_csv(self.csv_path, step, "step")

    def on_train_begin(self, logs=None):
        os.makedirs(os.path.dirname(os.path.abspath(self.csv_path)), exist_ok=True)
        new = not os.path.exists(self.csv_path) or os.path.getsize(self.csv_path) == 0
        self._file = open(self.csv_path, "a", newline="", buffering=1)
        self._writer = csv.writer(self._file)
        if new:
            self._writer.writerow(["step", "epoch"] + self.names)
        if self.log_dir:
            self._tb = tf.summary.create_file_writer(self.log_dir)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._prev = {}

    def on_train_batch_end(self, batch, logs=None):
        logs = _float_logs(logs)
        step = self.model.train_steps
        values = []
        for name in self.names:
            mean = logs.get(name, float("nan"))
            # Means over batches 0..batch -> this batch's own value.
            value = mean if batch == 0 or name not in self._prev else (batch + 1) * mean - batch * self._prev[name]
            self._prev[name] = mean
            values.append(value)
        self._writer.writerow([step, self._epoch + 1] + [f"{v:.6g}" for v in values])
        if self._tb is not None:
            with self._tb.as_default(step=step):
                for name, value in zip(self.names, values):
                    tf.summary.scalar(name, value)

    def on_epoch_end(self, epoch, logs=None):
        self._file.flush()
        if self._tb is not None:
            self._tb.flush()
        log = visualization.read_loss_log(self.csv_path)
        if log:
            kid = visualization.read_loss_log(self.kid_csv) if self.kid_csv and os.path.exists(self.kid_csv) else None
            visualization.plot_loss_curves(log, self.plot_path, self.names, kid=kid)

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._tb is not None:
            self._tb.close()
            self._tb = None


class EpochGrids(keras.callbacks.Callback):
    """Base of the sample-grid callbacks: `<directory>/epoch_<NNN>.png` and a TensorBoard image per epoch.

    Subclasses implement `grid()` -> a uint8 image.

    Args:
        directory: where the per-epoch grids go.
        log_dir: TensorBoard log directory (or None).
        tag: TensorBoard image tag.
    """

    def __init__(self, directory, log_dir=None, tag="samples"):
        super().__init__()
        self.directory, self.log_dir, self.tag = directory, log_dir, tag
        self._tb = None

    def grid(self):
        raise NotImplementedError

    def on_train_begin(self, logs=None):
        if self.log_dir:
            self._tb = tf.summary.create_file_writer(self.log_dir)

    def on_train_end(self, logs=None):
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def on_epoch_end(self, epoch, logs=None):
        grid = self.grid()
        visualization.save_png(grid, os.path.join(self.directory, f"epoch_{epoch + 1:03d}.png"))
        if self._tb is not None:
            with self._tb.as_default(step=epoch + 1):
                tf.summary.image(self.tag, grid[None], max_outputs=1)
            self._tb.flush()


class NoiseSamples(EpochGrids):
    """Sample grids from fixed noise: one PNG per epoch, a strip across epochs, TensorBoard images.

    Writes `<directory>/epoch_<NNN>.png` (a grid of `model(noise)`), and
    `across_epochs_path` (the first row of every grid, one row per epoch: each
    column is the same noise vector as training goes on).

    Args:
        noise: fixed noise, `(n, latent_dim)`.
        directory: where the per-epoch grids go.
        across_epochs_path: path of the strip PNG.
        ncols: grid columns.
        log_dir: TensorBoard log directory (or None).
    """

    def __init__(self, noise, directory, across_epochs_path, ncols=8, log_dir=None):
        super().__init__(directory, log_dir, tag="samples")
        self.noise = np.asarray(noise, np.float32)
        self.across_epochs_path, self.ncols = across_epochs_path, ncols

    def grid(self):
        return visualization.make_grid(np.asarray(self.model(self.noise, training=False)), self.ncols)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        grids = sorted(glob.glob(os.path.join(self.directory, "epoch_*.png")))
        tile = self.model.generator.output_shape[1]
        visualization.save_png(visualization.epochs_strip(grids, tile, self.ncols), self.across_epochs_path)


class TranslationSamples(EpochGrids):
    """Per-epoch translation grid; each row: A | G_ab(A) | G_ba(G_ab(A)) | B | G_ba(B) | G_ab(G_ba(B)).

    Args:
        images_a, images_b: fixed [-1, 1] batches of each domain (same length).
        directory: where the per-epoch grids go.
        log_dir: TensorBoard log directory (or None).
    """

    def __init__(self, images_a, images_b, directory, log_dir=None):
        super().__init__(directory, log_dir, tag="translations")
        self.images_a, self.images_b = np.asarray(images_a), np.asarray(images_b)

    def grid(self):
        model = self.model
        fake_b = model.translate(self.images_a, "ab")
        fake_a = model.translate(self.images_b, "ba")
        columns = [self.images_a, fake_b, model.translate(fake_b, "ba"), self.images_b, fake_a,
                   model.translate(fake_a, "ab")]
        tiles = np.stack([np.asarray(c) for c in columns], axis=1)  # (rows, 6, h, w, 3)
        return visualization.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), ncols=6)


class PairSamples(EpochGrids):
    """Per-epoch grid of fixed inputs beside the model's outputs: x | model(x), `pairs_per_row` pairs a row.

    Args:
        images: fixed [-1, 1] inputs (e.g. photos for CartoonGAN).
        directory: where the per-epoch grids go.
        pairs_per_row: input/output pairs per grid row.
        log_dir: TensorBoard log directory (or None).
    """

    def __init__(self, images, directory, pairs_per_row=4, log_dir=None):
        super().__init__(directory, log_dir, tag="photo_to_cartoon")
        self.images, self.pairs_per_row = np.asarray(images), pairs_per_row

    def grid(self):
        # A direct call, not predict(): under a multi-worker strategy only the chief runs this.
        outputs = np.asarray(self.model(self.images, training=False))
        tiles = np.stack([self.images, outputs], axis=1)  # (n, 2, h, w, 3)
        return visualization.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), ncols=2 * self.pairs_per_row)


class KIDMonitor(keras.callbacks.Callback):
    """Computes KID between generated samples and a fixed set of real images every `every_n_epochs`.

    Adds `kid` (and `kid_std`) to the epoch logs (so `History`, CSV loggers and
    the progress bar see them), writes TensorBoard scalars, and appends rows to
    `csv_path`. The real activations are computed once.

    Args:
        real_images: [-1, 1] images `(n, h, w, 3)` to compare against.
        feature_model: the feature network (e.g. InceptionV3 pooled, or a VGG), taking [-1, 1] images.
        sample_fn: `model -> [-1, 1] images` (e.g. `lambda m: m.sample(500, seed=0)` for DCGAN,
            `lambda m: m(photos)` for the translators).
        every_n_epochs: how often.
        num_subsets, subset_size: KID subsets (see `metrics.kid_from_activations`).
        log_dir: TensorBoard log directory (or None).
        csv_path: CSV of epoch, step, kid, kid_std (or None).
    """

    def __init__(self, real_images, feature_model, sample_fn, every_n_epochs=1, num_subsets=100,
                 subset_size=1000, log_dir=None, csv_path=None):
        super().__init__()
        self.real_images, self.feature_model, self.sample_fn = real_images, feature_model, sample_fn
        self.every_n_epochs, self.num_subsets, self.subset_size = every_n_epochs, num_subsets, subset_size
        self.log_dir, self.csv_path = log_dir, csv_path
        self._real = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        from keras_animegan import metrics

        if self._real is None:
            self._real = metrics.activations(np.asarray(self.real_images), self.feature_model)
        fake = metrics.activations(np.asarray(self.sample_fn(self.model)), self.feature_model)
        mean, std = metrics.kid_from_activations(self._real, fake, self.num_subsets, self.subset_size)
        if logs is not None:
            logs["kid"], logs["kid_std"] = mean, std
        step = self.model.train_steps
        if self.log_dir:
            writer = tf.summary.create_file_writer(self.log_dir)
            with writer.as_default(step=step):
                tf.summary.scalar("kid", mean)
            writer.close()
        if self.csv_path:
            new = not os.path.exists(self.csv_path)
            with open(self.csv_path, "a", newline="") as f:
                writer = csv.writer(f)
                if new:
                    writer.writerow(["epoch", "step", "kid", "kid_std"])
                writer.writerow([epoch + 1, step, f"{mean:.6g}", f"{std:.6g}"])
