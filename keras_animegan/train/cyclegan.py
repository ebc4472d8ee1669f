"""Train CycleGAN: `keras-animegan train cyclegan [--domain_a photos/ --domain_b anime.zip] [flags]`.

Domain A is the photo side, domain B the anime side; each is a folder, a
`.zip` or a TFDS name (`thumbs/128px`, with `--data_dir`). With neither, a
short demo trains on the embedded sets (1,000 cartoon faces as A, 2,000 anime
avatars as B) at 64 px. With user data the defaults are junyanz's: 256 px,
9 residual blocks, Adam 2e-4 (beta_1 0.5), 200 epochs with the learning rate
decaying linearly to zero over the second half; `--recipe report` trains at
batch 1 as junyanz does, `--recipe modern` (the default) at batch 4 with EMA
generators and DiffAugment on the discriminators' inputs.
"""

import dataclasses
import sys
from typing import Optional

from keras_animegan import callbacks as ka_callbacks
from keras_animegan.data import embedded
from keras_animegan.data import images
from keras_animegan.models import CycleGAN
from keras_animegan.models import LinearDecaySchedule
from keras_animegan.train import inputs
from keras_animegan.train import recipes
from keras_animegan.train.config import TrainConfig
from keras_animegan.train.config import flag
from keras_animegan.train.trainer import Trainer


@dataclasses.dataclass(frozen=True)
class CycleGANConfig(TrainConfig):
    """Settings of a CycleGAN run (shared ones in `TrainConfig`)."""

    domain_a: Optional[str] = flag(None, "Domain A (photos): folder, .zip or TFDS name. Default: embedded cartoon "
                                         "faces.")
    domain_b: Optional[str] = flag(None, "Domain B (anime): folder, .zip or TFDS name. Default: embedded anime "
                                         "avatars.")
    num_blocks: Optional[int] = flag(None, "Residual blocks in each generator. Default 9 at >= 256 px, else 6.")
    num_disc_layers: int = flag(3, "PatchGAN stride-2 layers (3 = 70x70 patches).")
    lambda_cycle: float = flag(10.0, "Weight of each cycle-consistency L1 loss.")
    lambda_identity: float = flag(0.5, "Identity loss weight relative to lambda_cycle (0 = off).")
    pool_size: int = flag(50, "History pool of generated images per discriminator (0 = off).")
    decay_epochs: Optional[int] = flag(None, "Epochs over which the learning rate decays to 0 (at the end). "
                                             "Default: the second half of --epochs.")
    num_grid_rows: int = flag(8, "Images per direction in each per-epoch sample grid.")

    @property
    def uses_embedded_data(self):
        return not (self.domain_a or self.domain_b)


class CycleGANTrainer(Trainer):
    """Trains `CycleGAN` on two unpaired domains; exports both directions (`cyclegan_ab`, `cyclegan_ba`)."""

    model_class = CycleGAN
    config_class = CycleGANConfig
    # Per recipe: the settings for user data and the demo's on the embedded sets (a few minutes on
    # 2 CPU cores). "report" is junyanz's / the report's training; "modern" the measured best
    # (README, "Sample quality").
    defaults = {
        "report": dict(epochs=200, batch_size=1, image_size=256, learning_rate=2e-4, base_filters=64,
                       gan_mode="lsgan"),
        "modern": dict(epochs=200, batch_size=4, image_size=256, learning_rate=2e-4, base_filters=64,
                       gan_mode="lsgan", ema_decay=0.999, augment="color,translation"),
    }
    embedded_defaults = {
        "report": dict(epochs=4, steps_per_epoch=150, image_size=64, base_filters=32),
        # Batch 4 beat batch 1 in the same 4 minutes (KID 0.276 vs 0.308); 3 x 150 steps is about 4 minutes.
        "modern": dict(epochs=3, steps_per_epoch=150, image_size=64, base_filters=32),
    }
    preset_settings = {**recipes.PRESET_SETTINGS, "num_blocks": "num_blocks"}

    def __init__(self, config=None, callbacks=()):
        super().__init__(config, callbacks)
        config = self.config
        self.num_blocks = config.num_blocks or (9 if config.image_size >= 256 else 6)
        self.decay_epochs = config.decay_epochs if config.decay_epochs is not None else config.epochs // 2
        if not 0 <= self.decay_epochs <= config.epochs:
            raise ValueError(f"--decay_epochs must be between 0 and --epochs ({config.epochs}); "
                             f"got {self.decay_epochs}.")

    def make_data(self):
        """Batches `(a, b)` (or `(a, b, weight_a)` with `--landmark_weight`): the domains shuffled independently."""
        config = self.config
        inputs.refuse_single_source_flags(config, "keras-animegan train cyclegan", "--domain_a and --domain_b")
        source_a = inputs.open_named_source(config.domain_a, embedded.cartoon_faces_64(), config, "Domain A")
        source_b = inputs.open_named_source(config.domain_b, embedded.anime_avatars_64(), config, "Domain B")
        weights = inputs.landmark_weights(config)
        ds_a = source_a.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed,
                                weight_fn=weights)
        ds_b = source_b.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed + 1)
        # With weight maps, ((a, weight_a), b) -> (a, b, weight_a): the landmark-weighted A cycle.
        dataset = images.zip_batches([ds_a, ds_b], (lambda a, b: (a[0], b, a[1])) if weights is not None else None)
        # junyanz: an epoch is max(|A|, |B|) images.
        return inputs.TrainData(dataset, max(len(source_a), len(source_b)), [source_a, source_b])

    def build_model(self, steps_per_epoch):
        config = self.config

        def schedule(rate):
            return LinearDecaySchedule(rate, constant_steps=(config.epochs - self.decay_epochs) * steps_per_epoch,
                                       decay_steps=self.decay_epochs * steps_per_epoch)

        model = CycleGAN(image_size=config.image_size, base_filters=config.base_filters, num_blocks=self.num_blocks,
                         num_disc_layers=config.num_disc_layers, lambda_cycle=config.lambda_cycle,
                         lambda_identity=config.lambda_identity, pool_size=config.pool_size, seed=config.seed,
                         **recipes.recipe_kwargs(config))
        model.compile(g_optimizer=recipes.adam(config, "g", schedule), d_optimizer=recipes.adam(config, "d", schedule),
                      gan_mode=config.gan_mode)
        return model

    def sample_callbacks(self, model, paths, data):
        size, rows = self.config.image_size, self.config.num_grid_rows
        images_a, images_b = (inputs.first_images(source, size, rows) for source in data.sources)
        return [ka_callbacks.TranslationSamples(images_a, images_b, paths.samples, log_dir=paths.logs)]


def run(config, callbacks=()):
    """Trains CycleGAN as `config` says; returns a `RunResult`. Reads no flags (`CycleGANTrainer(config).run()`)."""
    return CycleGANTrainer(config, callbacks).run()


main = CycleGANTrainer.main

if __name__ == "__main__":
    sys.exit(main())
