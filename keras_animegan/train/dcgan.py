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
from keras_animegan.train import common
from keras_animegan.train import inputs
from keras_animegan.train import options

MODEL_FLAGS = options.Flags()
MODEL_FLAGS.integer("latent_dim", 100, "Noise vector length.")
MODEL_FLAGS.integer("n_extra_layers", 1, "Size-preserving conv layers in each network.")
MODEL_FLAGS.integer("num_samples", 64, "Images in each per-epoch sample grid (8 per row).")
MODEL_FLAGS.enum("discriminator_norm", None, ["batch", "spectral"],
                  "Discriminator normalization: batch (report) or spectral. Default: the recipe's.")


# Per recipe: the settings for user data, and the demo's on the embedded 2,000 avatars (a few
# minutes on 2 CPU cores). "report" is the report's exact training; "modern" the measured best
# (README, "Sample quality").
DEFAULTS = {
    "report": dict(epochs=100, batch_size=128, image_size=64, learning_rate=3e-4, base_filters=64,
                   gan_mode="vanilla", discriminator_norm="batch"),
    # Measured on these 2 cores (README, "Training recipes and sample quality"): a narrower network
    # at batch 32 takes 5x the steps of the report's in the same time, DiffAugment keeps 2,000-10,000
    # images from collapsing to one face, and the EMA generator smooths the higher learning rate.
    "modern": dict(epochs=100, batch_size=32, image_size=64, learning_rate=5e-4, base_filters=32,
                   gan_mode="vanilla", discriminator_norm="batch", ema_decay=0.999, augment="color,translation"),
}
EMBEDDED_DEFAULTS = {
    "report": dict(epochs=5, batch_size=64),
    # 20 epochs x 62 steps: about 4 minutes of training on 2 CPU cores.
    "modern": dict(epochs=20),
}


@dataclasses.dataclass(frozen=True)
class DCGANConfig(options.TrainConfig):
    """Settings of a DCGAN run (shared ones in `options.TrainConfig`)."""

    latent_dim: int = 100
    n_extra_layers: int = 1
    num_samples: int = 64
    discriminator_norm: Optional[str] = None


def fixed_noise(config, count):
    """The run's fixed noise for sample grids: depends on the seed only, so it survives resumes."""
    return np.random.default_rng(config.seed + 12345).standard_normal((count, config.latent_dim)).astype(np.float32)


def run(config, callbacks=()):
    """Trains DCGAN as `config` says; returns a `common.RunResult`. Reads no flags.

    `callbacks`: more Keras callbacks for `fit` (benchmarks use it for snapshots).
    """
    config = options.resolve(config, DEFAULTS, EMBEDDED_DEFAULTS, "dcgan")

    def build_model(steps_per_epoch):
        model = DCGAN(
            latent_dim=config.latent_dim,
            image_size=config.image_size,
            base_filters=config.base_filters,
            n_extra_layers=config.n_extra_layers,
            discriminator_norm=config.discriminator_norm,
            seed=config.seed,
            **options.recipe_kwargs(config),
        )
        model.compile(g_optimizer=options.adam(config, "g"), d_optimizer=options.adam(config, "d"),
                      gan_mode=config.gan_mode)
        return model

    def sample_callbacks(model, paths, data):
        return [
            ka_callbacks.NoiseSamples(
                fixed_noise(config, config.num_samples),
                paths.samples,
                os.path.join(config.model_dir, "samples_across_epochs.png"),
                ncols=8,
                log_dir=paths.logs,
            )
        ]

    def finalize(model, paths):
        # 8 rows, each a spherical walk between two fixed noise vectors.
        endpoints = np.random.default_rng(config.seed + 54321).standard_normal((16, config.latent_dim))
        noise = visualization.interpolation_noise(endpoints, steps=10)
        images = keras.ops.convert_to_numpy(model(noise.astype(np.float32), training=False))
        visualization.save_png(visualization.make_grid(images, 10), os.path.join(config.model_dir, "interpolation.png"))

    def make_data(config):
        return inputs.single_source_data(config, embedded.anime_avatars_64())

    return common.fit_and_export(config, "dcgan", build_model, make_data, sample_callbacks, finalize,
                                 callbacks=callbacks)


def main(argv=None):
    """`keras-animegan train dcgan [flags]`: the command line (without the program name) -> `run`; the exit status."""
    return common.run_main(argv, "dcgan", __doc__, DCGANConfig, MODEL_FLAGS, run)


if __name__ == "__main__":
    sys.exit(main())
