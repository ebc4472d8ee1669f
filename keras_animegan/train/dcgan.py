"""Train DCGAN: `keras-animegan train dcgan [--image_dir avatars/] [flags]`.

With no data flags it trains a short demo run on the 2,000 anime avatars
shipped in the package (about 4 minutes on 2 CPU cores). `--recipe modern`
(the default) is the measured best training; `--recipe report` the report's
settings: batch 128, learning rate 3e-4 (Adam, beta_1 0.5), 100 epochs, 64 px.
"""

import dataclasses
import os
import sys
from typing import Optional

import keras
import numpy as np

from keras_animegan import callbacks as ka_callbacks
from keras_animegan import visualization
from keras_animegan.data import embedded
from keras_animegan.models import DCGAN
from keras_animegan.train import recipes
from keras_animegan.train.config import TrainConfig
from keras_animegan.train.config import flag
from keras_animegan.train.trainer import Trainer


@dataclasses.dataclass(frozen=True)
class DCGANConfig(TrainConfig):
    """Settings of a DCGAN run (shared ones in `TrainConfig`)."""

    latent_dim: int = flag(100, "Noise vector length.")
    n_extra_layers: int = flag(1, "Size-preserving conv layers in each network.")
    num_samples: int = flag(64, "Images in each per-epoch sample grid (8 per row).")
    discriminator_norm: Optional[str] = flag(None, "Discriminator normalization: batch (report) or spectral. "
                                                   "Default: the recipe's.", ["batch", "spectral"])


def fixed_noise(config, count):
    """The run's fixed noise for sample grids: depends on the seed only, so it survives resumes."""
    return np.random.default_rng(config.seed + 12345).standard_normal((count, config.latent_dim)).astype(np.float32)


class DCGANTrainer(Trainer):
    """Trains `DCGAN` on one image source; sample grids from fixed noise and an interpolation grid at the end."""

    model_class = DCGAN
    config_class = DCGANConfig
    # Per recipe: the settings for user data, and the demo's on the embedded 2,000 avatars (a few
    # minutes on 2 CPU cores). "report" is the report's exact training; "modern" the measured best
    # (README, "Sample quality"): a narrower network at batch 32 takes 5x the steps of the report's
    # in the same time, DiffAugment keeps 2,000-10,000 images from collapsing to one face, and the
    # EMA generator smooths the higher learning rate.
    defaults = {
        "report": dict(epochs=100, batch_size=128, image_size=64, learning_rate=3e-4, base_filters=64,
                       gan_mode="vanilla", discriminator_norm="batch"),
        "modern": dict(epochs=100, batch_size=32, image_size=64, learning_rate=5e-4, base_filters=32,
                       gan_mode="vanilla", discriminator_norm="batch", ema_decay=0.999, augment="color,translation"),
    }
    # 20 epochs x 62 steps: about 4 minutes of training on 2 CPU cores.
    embedded_defaults = {"report": dict(epochs=5, batch_size=64), "modern": dict(epochs=20)}
    preset_settings = {**recipes.PRESET_SETTINGS, "latent_dim": "latent_dim", "n_extra_layers": "n_extra_layers"}
    embedded_images = staticmethod(embedded.anime_avatars_64)

    def build_model(self, steps_per_epoch):
        config = self.config
        model = DCGAN(latent_dim=config.latent_dim, image_size=config.image_size, base_filters=config.base_filters,
                      n_extra_layers=config.n_extra_layers, discriminator_norm=config.discriminator_norm,
                      seed=config.seed, **recipes.recipe_kwargs(config))
        model.compile(g_optimizer=recipes.adam(config, "g"), d_optimizer=recipes.adam(config, "d"),
                      gan_mode=config.gan_mode)
        return model

    def grid_inputs(self, model, count):
        """The fixed generator inputs of the sample grids (the run's fixed noise)."""
        return fixed_noise(self.config, count)

    def sample_callbacks(self, model, paths, data):
        return [ka_callbacks.NoiseSamples(self.grid_inputs(model, self.config.num_samples), paths.samples,
                                          os.path.join(paths.model_dir, "samples_across_epochs.png"), ncols=8,
                                          log_dir=paths.logs)]

    def finalize(self, model, paths):
        # 8 rows, each a spherical walk between two fixed noise vectors.
        endpoints = np.random.default_rng(self.config.seed + 54321).standard_normal((16, self.config.latent_dim))
        noise = visualization.interpolation_noise(endpoints, steps=10)
        images = keras.ops.convert_to_numpy(model(noise.astype(np.float32), training=False))
        visualization.save_png(visualization.make_grid(images, 10), os.path.join(paths.model_dir, "interpolation.png"))


def run(config, callbacks=()):
    """Trains DCGAN as `config` says; returns a `RunResult`. Reads no flags (`DCGANTrainer(config).run()`)."""
    return DCGANTrainer(config, callbacks).run()


main = DCGANTrainer.main

if __name__ == "__main__":
    sys.exit(main())
