"""Sample grids at every epoch end (from the EMA generator when the model keeps one), and the across-epochs strip."""

import glob
import os

import keras
import numpy as np

from keras_animegan import visualization
from keras_animegan.utils import tensorboard


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
        self._tb = tensorboard.open_writer(self.log_dir)

    def on_train_end(self, logs=None):
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def on_epoch_end(self, epoch, logs=None):
        grid = self.grid()
        visualization.save_png(grid, os.path.join(self.directory, f"epoch_{epoch + 1:03d}.png"))
        if self._tb is not None:
            self._tb.image(epoch + 1, self.tag, grid)
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
        return visualization.make_grid(keras.ops.convert_to_numpy(self.model(self.noise, training=False)), self.ncols)

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
        outputs = keras.ops.convert_to_numpy(self.model(self.images, training=False))
        tiles = np.stack([self.images, outputs], axis=1)  # (n, 2, h, w, 3)
        return visualization.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), ncols=2 * self.pairs_per_row)


class UpscaleSamples(EpochGrids):
    """Per-epoch grid of an upscaler on fixed inputs; each row: input (enlarged by nearest neighbour) | output
    | original, for the paired inputs, and input | output for inputs without originals (generated samples).

    Args:
        low: fixed [-1, 1] low-resolution inputs.
        high: their originals (same length), or None.
        directory: where the per-epoch grids go.
        unpaired: fixed low-resolution inputs without originals, or None.
        log_dir: TensorBoard log directory (or None).
    """

    def __init__(self, low, high, directory, unpaired=None, log_dir=None):
        super().__init__(directory, log_dir, tag="upscaled")
        self.low = np.asarray(low, np.float32)
        self.high = None if high is None else np.asarray(high, np.float32)
        self.unpaired = None if unpaired is None or not len(unpaired) else np.asarray(unpaired, np.float32)

    def _pairs(self, low):
        outputs = np.clip(keras.ops.convert_to_numpy(self.model(low, training=False)), -1.0, 1.0)
        scale = outputs.shape[1] // low.shape[1]
        return np.repeat(np.repeat(low, scale, axis=1), scale, axis=2), outputs

    def grid(self):
        columns = list(self._pairs(self.low)) + ([self.high] if self.high is not None else [])
        tiles = np.stack(columns, axis=1)  # (rows, columns, h, w, 3)
        grid = tiles.reshape((-1,) + tiles.shape[2:])
        ncols = len(columns)
        if self.unpaired is not None:
            extra = np.stack(self._pairs(self.unpaired), axis=1)
            if ncols == 3:  # pad each unpaired row with a blank third column
                extra = np.concatenate([extra, np.full_like(extra[:, :1], 1.0)], axis=1)
            grid = np.concatenate([grid, extra.reshape((-1,) + extra.shape[2:])])
        return visualization.make_grid(grid, ncols=ncols)
