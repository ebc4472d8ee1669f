"""Train the x4 upscaler: `keras-animegan train upscaler --image_dir HIGH_RES/ [flags]`.

The pairs are made from your own high-resolution images (a folder or .zip, loaded at --image_size):
random --patch_size crops, each with a low-resolution input made by averaging it down 4x, and for
half of them by a random mild degradation first (blur, resize kernel, noise, JPEG; see
`keras_animegan.data.degradations`). The first --init_epochs train on the pixel loss alone (Huber,
at --learning_rate); then a PatchGAN judges the upscaled patches against the originals, and both
learning rates decay linearly to zero.

`--unpaired_preset NAME` (a noise or tag preset, e.g. dcgan_tagged_avatars_64) also shows the
upscaler that generator's own samples, which have no originals: the discriminator judges their
upscaled versions too, and averaged back down they must stay close to the samples. This is what
makes the shipped `upscaler_avatars_x4` clean up generated avatars instead of sharpening their flaws.
The samples are drawn once and kept in the run folder, so a resumed run sees the same ones.
"""

import dataclasses
import logging
import os
import sys
from typing import Optional

import numpy as np

from keras_animegan import callbacks as ka_callbacks
from keras_animegan.data import degradations
from keras_animegan.models import LinearDecaySchedule
from keras_animegan.models import Upscaler
from keras_animegan.train import inputs
from keras_animegan.train import recipes
from keras_animegan.train.config import TrainConfig
from keras_animegan.train.config import flag
from keras_animegan.train.trainer import Trainer
from keras_animegan.utils import optional
from keras_animegan.utils.pixels import to_uint8
from keras_animegan.utils.pixels import to_unit_range

logger = logging.getLogger("keras_animegan")


@dataclasses.dataclass(frozen=True)
class UpscalerConfig(TrainConfig):
    """Settings of an upscaler run (shared ones in `TrainConfig`; --image_size is the size images load at)."""

    patch_size: int = flag(128, "High-resolution training patch size (a multiple of 4, at most --image_size).")
    num_convs: int = flag(10, "Hidden 3x3 convolutions of the generator (--base_filters wide).")
    init_epochs: Optional[int] = flag(None, "Epochs of pixel-loss-only training before the adversarial terms. "
                                            "Default: half of --epochs.")
    adversarial_weight: float = flag(0.01, "Weight of the adversarial loss on the paired patches.")
    clean_share: float = flag(0.5, "Share of inputs that are only averaged down (the rest are also degraded).")
    unpaired_preset: Optional[str] = flag(None, "A noise or tag preset (or preset folder) whose samples the "
                                                "upscaler also learns on, without originals. Default: none.")
    unpaired_count: int = flag(4000, "Samples drawn from --unpaired_preset (once; kept in the run folder).")
    unpaired_batch: int = flag(4, "Unpaired samples in each batch, besides the --batch_size pairs.")
    unpaired_weight: float = flag(0.01, "Weight of the adversarial loss on the upscaled unpaired samples.")
    consistency_weight: float = flag(0.5, "Weight of the L1 between the unpaired samples and their upscaled "
                                          "versions averaged back down.")
    num_grid_rows: int = flag(8, "Paired (and unpaired) inputs in each per-epoch sample grid.")


class UpscalerTrainer(Trainer):
    """Trains `Upscaler` on pairs degraded from one high-resolution image source (and a generator's samples)."""

    model_class = Upscaler
    config_class = UpscalerConfig
    # The recipes are the same: the report has no upscaler. 14 epochs of 625 steps (10,000 images, batch 16),
    # the first 7 on the pixel loss alone, is the shipped preset's training on the 256 px stand-in avatars.
    defaults = {
        recipe: dict(epochs=14, batch_size=16, image_size=256, learning_rate=1e-3, d_learning_rate=2e-4,
                     base_filters=48, gan_mode="lsgan", beta_1=0.9, ema_decay=0.999)
        for recipe in ("modern", "report")
    }
    preset_settings = {"base_filters": "filters", "num_convs": "num_convs"}

    def __init__(self, config=None, callbacks=()):
        super().__init__(config, callbacks)
        config = self.config
        if config.patch_size % 4 or not 8 <= config.patch_size <= config.image_size:
            raise ValueError(f"--patch_size must be a multiple of 4 from 8 to --image_size ({config.image_size}); "
                             f"got {config.patch_size}.")
        if config.num_convs < 0 or config.base_filters < 1:
            raise ValueError("--num_convs must be >= 0 and --base_filters >= 1.")
        if not 0.0 <= config.clean_share <= 1.0:
            raise ValueError(f"--clean_share must be between 0 and 1; got {config.clean_share}.")
        for name in ("adversarial_weight", "unpaired_weight", "consistency_weight"):
            if getattr(config, name) < 0:
                raise ValueError(f"--{name} must be >= 0; got {getattr(config, name)}.")
        if config.unpaired_preset and (config.unpaired_count < 1 or config.unpaired_batch < 1):
            raise ValueError("--unpaired_count and --unpaired_batch must be positive with --unpaired_preset.")
        self.init_epochs = config.init_epochs if config.init_epochs is not None else config.epochs // 2
        if not 0 <= self.init_epochs <= config.epochs:
            raise ValueError(f"--init_epochs must be between 0 and --epochs ({config.epochs}); got {self.init_epochs}.")
        self.degradation = degradations.Degradation(clean_share=config.clean_share)

    def make_data(self):
        """Batches `(low, high)`, or `(low, high, unpaired)` with `--unpaired_preset`."""
        config = self.config
        if config.uses_embedded_data:
            raise ValueError("`keras-animegan train upscaler` needs --image_dir HIGH_RES (a folder or .zip of "
                             "high-resolution images; the package embeds only 64 px ones) or --dataset.")
        if config.landmark_weight:
            raise ValueError("--landmark_weight applies to `train cyclegan` and `train cartoongan`, not to this "
                             "trainer.")
        tf = optional.tensorflow("Training the upscaler's input pipeline")
        source = inputs.open_source(config, None)
        images = source.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed)
        rng = np.random.default_rng([config.seed, 1])
        size, low_size = config.patch_size, config.patch_size // 4

        def pairs(batch):
            return degradations.make_pairs(to_uint8(batch), size, self.degradation, rng)

        def to_pairs(batch):
            low, high = tf.numpy_function(pairs, [batch], (tf.float32, tf.float32), stateful=True)
            low.set_shape((config.batch_size, low_size, low_size, 3))
            high.set_shape((config.batch_size, size, size, 3))
            return low, high

        dataset = images.map(to_pairs, num_parallel_calls=1)
        self.unpaired = None
        if config.unpaired_preset:
            self.unpaired = self.unpaired_samples()
            crop_rng = np.random.default_rng([config.seed, 2])

            def crops(_):
                picks = crop_rng.integers(0, len(self.unpaired), config.unpaired_batch)
                return to_unit_range(degradations.random_crops(self.unpaired[picks], low_size, crop_rng))

            def to_crops(index):
                batch = tf.numpy_function(crops, [index], tf.float32, stateful=True)
                batch.set_shape((config.unpaired_batch, low_size, low_size, 3))
                return batch

            unpaired = tf.data.Dataset.range(2**62).map(to_crops, num_parallel_calls=1)
            dataset = tf.data.Dataset.zip((dataset, unpaired)).map(lambda pair, u: (pair[0], pair[1], u))
        return inputs.TrainData(dataset.prefetch(2), len(source), [source])

    def unpaired_samples(self):
        """`--unpaired_count` uint8 samples of `--unpaired_preset`, drawn once and kept in the run folder."""
        config = self.config
        path = os.path.join(config.model_dir, "unpaired_samples.npy")
        if os.path.exists(path):
            samples = np.load(path)
            if len(samples) == config.unpaired_count:
                return samples
        from keras_animegan.models import GANModel

        generator = GANModel.from_preset(config.unpaired_preset)
        if generator.input_kind not in ("noise", "tags"):
            raise ValueError(f"--unpaired_preset {config.unpaired_preset!r} is a {type(generator).__name__}; it "
                             "needs a preset that draws from noise or tags.")
        low_size = config.patch_size // 4
        output_size = int(generator.inference_generator().output_shape[1])
        if output_size < low_size:
            raise ValueError(f"--unpaired_preset draws {output_size} px images, smaller than the {low_size} px "
                             f"inputs of --patch_size {config.patch_size}.")
        logger.info("Drawing %d samples of %s for the unpaired term.", config.unpaired_count, config.unpaired_preset)
        chunks = []
        for start in range(0, config.unpaired_count, 256):
            count = min(256, config.unpaired_count - start)
            chunks.append(to_uint8(np.asarray(generator.sample(count, seed=config.seed * 1_000_003 + start))))
        samples = np.concatenate(chunks)
        os.makedirs(config.model_dir, exist_ok=True)
        tmp = path + ".tmp.npy"
        np.save(tmp, samples)
        os.replace(tmp, path)
        return samples

    def build_model(self, steps_per_epoch):
        config = self.config
        decay_steps = (config.epochs - self.init_epochs) * steps_per_epoch

        def schedule(rate):
            # Constant through the L1 phase, then linearly to zero over the adversarial one.
            return LinearDecaySchedule(rate, constant_steps=self.init_epochs * steps_per_epoch,
                                       decay_steps=decay_steps) if decay_steps else rate

        model = Upscaler(filters=config.base_filters, num_convs=config.num_convs, patch_size=config.patch_size,
                         adversarial_weight=config.adversarial_weight, unpaired_weight=config.unpaired_weight,
                         consistency_weight=config.consistency_weight,
                         init_steps=self.init_epochs * steps_per_epoch, seed=config.seed,
                         **recipes.recipe_kwargs(config))
        model.compile(g_optimizer=recipes.adam(config, "g", schedule), d_optimizer=recipes.adam(config, "d", schedule),
                      gan_mode=config.gan_mode)
        return model

    def sample_callbacks(self, model, paths, data):
        config = self.config
        source = data.sources[0]
        high = inputs.first_images(source, config.image_size - config.image_size % 4, config.num_grid_rows)
        low = to_unit_range(np.stack([self.degradation.downscale(image) for image in to_uint8(high)]))
        unpaired = None
        if self.unpaired is not None:  # whole samples, at the paired inputs' size
            import cv2

            size = low.shape[1]
            unpaired = to_unit_range(np.stack([
                image if image.shape[0] == size else cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
                for image in self.unpaired[:config.num_grid_rows]]))
        return [ka_callbacks.UpscaleSamples(low, high, paths.samples, unpaired=unpaired, log_dir=paths.logs)]


def run(config, callbacks=()):
    """Trains the upscaler as `config` says; returns a `RunResult` (`UpscalerTrainer(config).run()`)."""
    return UpscalerTrainer(config, callbacks).run()


main = UpscalerTrainer.main

if __name__ == "__main__":
    sys.exit(main())
