"""Train CartoonGAN: `keras-animegan train cartoongan [--photos photos/ --cartoons anime.zip] [flags]`.

`--photos` and `--cartoons` are each a folder, a `.zip` or a TFDS name. With
neither, a short demo trains on the embedded sets (1,000 cartoon faces stand
in for photos, 2,000 anime avatars are the cartoons) at 64 px. Every cartoon
is edge-smoothed once (OpenCV) in the input pipeline.

The content/style network: `--vgg vgg19` (CartoonGAN's, block4_conv4) or
`vgg16` (block4_conv3); `--vgg_weights imagenet` (downloaded by Keras on first
use), `none` (random: smoke runs), or a local weights file; the preprocessing
follows the weights (`--vgg_preprocessing auto`: caffe for imagenet; a local
file only if the package knows it, such as a torchvision-converted
VGG16; say `caffe` or `torch` for any other).
"""

import dataclasses
import logging
import sys
from typing import Optional

from keras_animegan import callbacks as ka_callbacks
from keras_animegan.data import edge_smooth
from keras_animegan.data import embedded
from keras_animegan.data import flat_cartoon
from keras_animegan.data import images
from keras_animegan.models import CartoonGAN
from keras_animegan.models import vgg_feature_extractor
from keras_animegan.models.feature_extractors import resolve_vgg_preprocessing
from keras_animegan.train import inputs
from keras_animegan.train import recipes
from keras_animegan.train.config import TrainConfig
from keras_animegan.train.config import flag
from keras_animegan.train.trainer import Trainer

logger = logging.getLogger("keras_animegan")


@dataclasses.dataclass(frozen=True)
class CartoonGANConfig(TrainConfig):
    """Settings of a CartoonGAN run (shared ones in `TrainConfig`)."""

    photos: Optional[str] = flag(None, "Photos: folder, .zip or TFDS name. Default: the embedded cartoon faces.")
    cartoons: Optional[str] = flag(None, "Cartoons: folder, .zip or TFDS name. Default: the embedded anime avatars.")
    init_epochs: Optional[int] = flag(None, "Epochs of content-only generator initialization (paper: 10).")
    content_weight: float = flag(10.0, "Weight of the VGG content loss.")
    style_weight: float = flag(1.0, "Weight of the Gram style loss (0 = off).")
    vgg: str = flag("vgg19", "Feature network for the content and style losses.", ["vgg19", "vgg16"])
    vgg_weights: str = flag("imagenet", "imagenet | none | PATH to a local VGG weights file.")
    vgg_preprocessing: str = flag("auto", "Input preprocessing of the VGG: auto = caffe for imagenet/none; a local "
                                          "file must be one the package knows (a torchvision-converted VGG16 it "
                                          "recognizes) or be named caffe/torch.", ["auto", "caffe", "torch"])
    cartoon_blocks: int = flag(8, "Residual blocks in the generator (paper: 8).")
    norm: str = flag("instance", "Normalization in both networks.", ["instance", "batch"])
    edge_kernel: int = flag(5, "Kernel size of the edge dilation and Gaussian blur.")
    architecture: str = flag("resnet", "Generator: resnet (the paper's) or unet (White-box Cartoonization's small "
                                       "U-Net, fast at any size).", ["resnet", "unet"])
    target_weight: float = flag(0.0, "Weight of the L1 loss to each photo's flat-colour cartoon "
                                     "(keras_animegan.data.flat_cartoon; 0 = off).")

    @property
    def uses_embedded_data(self):
        return not (self.photos or self.cartoons)


def _vgg_weights(config):
    return None if config.vgg_weights in ("none", "") else config.vgg_weights


def check_vgg_flags(config):
    """A clear ValueError for a missing `--vgg_weights` file or an `auto` preprocessing it cannot tell."""
    try:
        resolve_vgg_preprocessing(_vgg_weights(config), config.vgg_preprocessing)
    except (OSError, ValueError) as error:
        raise ValueError(f"--vgg_weights={config.vgg_weights!r}, --vgg_preprocessing="
                         f"{config.vgg_preprocessing!r}: {error}") from error


def build_feature_extractor(config):
    if not config.content_weight and not config.style_weight:
        return None  # no perceptual loss: no VGG to build
    weights = _vgg_weights(config)
    try:
        return vgg_feature_extractor(config.vgg, weights=weights, image_size=config.image_size,
                                     preprocessing=config.vgg_preprocessing)
    except Exception as error:  # noqa: BLE001 - downloads and bad files fail in many ways
        raise ValueError(
            f"Could not build --vgg={config.vgg} with --vgg_weights={config.vgg_weights!r}: {error}. "
            "Without internet, pass a local weights file (--vgg_weights PATH) or --vgg_weights none for a smoke run."
        ) from error


# Per recipe: the settings for user data and the demo's on the embedded sets. "report" is the
# CartoonGAN paper's training. "modern" is the same until CartoonGAN is measured in the KID protocol
# (README, "Training recipes and sample quality"): a recipe option is on only where the numbers
# show it helps. --ema_decay / --augment / --r1_gamma work here as in the other trainers.
_PAPER = dict(epochs=100, batch_size=8, image_size=256, learning_rate=2e-4, base_filters=64,
              gan_mode="vanilla", init_epochs=10)
_DEMO = dict(epochs=4, steps_per_epoch=60, batch_size=4, image_size=64, base_filters=32, init_epochs=2)


class CartoonGANTrainer(Trainer):
    """Trains `CartoonGAN` on photos and cartoons: a content-only initialization, then the adversarial phase."""

    model_class = CartoonGAN
    config_class = CartoonGANConfig
    defaults = {"report": _PAPER, "modern": _PAPER}
    embedded_defaults = {"report": _DEMO, "modern": _DEMO}
    preset_settings = {**recipes.PRESET_SETTINGS, "cartoon_blocks": "num_blocks", "norm": "norm"}

    @classmethod
    def resolve(cls, config):
        init_epochs_given = config.init_epochs is not None
        config = super().resolve(config)
        if not init_epochs_given and config.init_epochs > config.epochs // 2:
            # A run shortened with --epochs keeps an adversarial phase: its default initialization shrinks to half.
            logger.info("--init_epochs: %d (half of --epochs %d; the recipe's %d would leave no adversarial phase).",
                        config.epochs // 2, config.epochs, config.init_epochs)
            config = dataclasses.replace(config, init_epochs=config.epochs // 2)
        if not 0 <= config.init_epochs <= config.epochs:
            raise ValueError(f"--init_epochs must be between 0 and --epochs ({config.epochs}); "
                             f"got {config.init_epochs}.")
        if config.content_weight or config.style_weight:  # without a perceptual loss no VGG is built or read
            check_vgg_flags(config)  # before the data is read; the network itself is built in build_model
        return config

    def make_data(self):
        """Batches `(photo, cartoon, smoothed_cartoon)`, plus the photo's weight map with `--landmark_weight`.

        With `--target_weight`, dict batches that also hold each photo's `flat_cartoon` as `target`.
        """
        config = self.config
        inputs.refuse_single_source_flags(config, "keras-animegan train cartoongan", "--photos and --cartoons")
        if config.target_weight and config.landmark_weight:
            raise ValueError("--target_weight and --landmark_weight cannot be combined; use one of them.")
        photos = inputs.open_named_source(config.photos, embedded.cartoon_faces_64(), config, "Photos")
        cartoons = inputs.open_named_source(config.cartoons, embedded.anime_avatars_64(), config, "Cartoons")
        kernel = config.edge_kernel

        def smooth(image):
            return edge_smooth(image, kernel_size=kernel)

        weights = inputs.landmark_weights(config)
        ds_p = photos.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed,
                              weight_fn=weights, paired_fn=flat_cartoon if config.target_weight else None)
        ds_c = cartoons.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed + 1,
                                paired_fn=smooth)
        if config.target_weight:
            combine = lambda p, c: {"photo": p[0], "cartoon": c[0], "smoothed": c[1], "target": p[1]}  # noqa: E731
        elif weights is not None:  # landmark-weighted content loss: (photo, cartoon, smoothed, weight)
            combine = lambda p, c: (p[0], c[0], c[1], p[1])  # noqa: E731
        else:
            combine = lambda p, c: (p, c[0], c[1])  # noqa: E731
        dataset = images.zip_batches([ds_p, ds_c], combine)
        return inputs.TrainData(dataset, max(len(photos), len(cartoons)), [photos, cartoons])

    def build_model(self, steps_per_epoch):
        # Inside the strategy's scope and after the seed is set (both by loop.start_run): replicas
        # share one VGG, and `--vgg_weights none` gives the same random VGG on every run.
        config = self.config
        model = CartoonGAN(build_feature_extractor(config), image_size=config.image_size,
                           base_filters=config.base_filters, num_blocks=config.cartoon_blocks, norm=config.norm,
                           content_weight=config.content_weight, style_weight=config.style_weight,
                           init_steps=config.init_epochs * steps_per_epoch, architecture=config.architecture,
                           target_weight=config.target_weight, seed=config.seed, **recipes.recipe_kwargs(config))
        model.compile(g_optimizer=recipes.adam(config, "g"), d_optimizer=recipes.adam(config, "d"),
                      gan_mode=config.gan_mode)
        return model

    def sample_callbacks(self, model, paths, data):
        photos = inputs.first_images(data.sources[0], self.config.image_size, 8)
        return [ka_callbacks.PairSamples(photos, paths.samples, log_dir=paths.logs)]


def run(config, callbacks=()):
    """Trains CartoonGAN as `config` says; returns a `RunResult`. Reads no flags (`CartoonGANTrainer(config).run()`)."""
    return CartoonGANTrainer(config, callbacks).run()


main = CartoonGANTrainer.main

if __name__ == "__main__":
    sys.exit(main())
