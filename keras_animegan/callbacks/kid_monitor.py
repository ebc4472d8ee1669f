"""KID of the model's samples against real images every N epochs, logged to CSV and TensorBoard."""

import csv
import os

import keras
import numpy as np

from keras_animegan.utils import safe_files
from keras_animegan.utils import tensorboard


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

    def __init__(self, real_images, feature_model, sample_fn, every_n_epochs=1, num_subsets=50,
                 subset_size=500, log_dir=None, csv_path=None):
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
        writer = tensorboard.open_writer(self.log_dir)
        if writer is not None:
            writer.scalars(step, {"kid": mean})
            writer.close()
        if self.csv_path:
            new = not os.path.exists(self.csv_path)
            with safe_files.open_no_follow(self.csv_path, "a", newline="") as f:
                writer = csv.writer(f)
                if new:
                    writer.writerow(["epoch", "step", "kid", "kid_std"])
                writer.writerow([epoch + 1, step, f"{mean:.6g}", f"{std:.6g}"])
