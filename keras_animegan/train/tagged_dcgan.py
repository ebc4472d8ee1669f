"""Train TaggedDCGAN: `keras-animegan train tagged_dcgan [--image_dir avatars/ [--tags_csv tags.csv]] [flags]`.

Trains on images and their Danbooru-style tags: a `tags.csv` (file name, then its tags) at the top
of the folder or `.zip`, or the file `--tags_csv` names. The vocabulary (hair colour, skin and hair
length as exclusive groups, the rest as flags) is read from it; images without a row are left out,
and counted in the log. With no data flags it trains a short demo run on the 2,000 tagged avatars
shipped in the package.
"""

import dataclasses
import logging
import os
import sys
from typing import Optional

import keras
import numpy as np

from keras_animegan.data import embedded
from keras_animegan.models.tagged_dcgan import TaggedDCGAN
from keras_animegan.train import inputs
from keras_animegan.train import recipes
from keras_animegan.train.config import flag
from keras_animegan.train.dcgan import DCGANConfig
from keras_animegan.train.dcgan import DCGANTrainer
from keras_animegan.utils.archives import open_zip
from keras_animegan.utils.archives import read_member
from keras_animegan.utils.tags import TagVocabulary
from keras_animegan.utils.tags import decode_tags_bytes
from keras_animegan.utils.tags import parse_tags_text
from keras_animegan.utils.tags import read_tags_csv
from keras_animegan.utils.tags import tags_for_files

logger = logging.getLogger("keras_animegan")


@dataclasses.dataclass(frozen=True)
class TaggedDCGANConfig(DCGANConfig):
    """Settings of a TaggedDCGAN run (DCGAN's, and the tags)."""

    tags_csv: Optional[str] = flag(None, "The images' tags: a CSV of file name, then tags (comma cells or "
                                         "space-separated). Default: tags.csv at the top of --image_dir "
                                         "(folder or .zip).")
    tag_weight: float = flag(1.0, "Weight of the tag classification losses (ACGAN).")
    tag_augment: Optional[str] = flag(None, "DiffAugment policy of the images the tag head reads. Default: "
                                            "--augment without color (colour jitter changes the colours "
                                            "the tags name); 'none' for no augmentation.")
    tag_share: float = flag(0.5, "Share of each batch the tag head learns from, when --tag_augment leaves out "
                                 "transforms of --augment (those change the other images only).")
    twin_classifier: bool = flag(False, "A twin tag head on the discriminator that learns the generated images' tags "
                                        "(TAC-GAN): more variety within one tag set than plain ACGAN.")
    min_tag_count: int = flag(10, "Tags on fewer training images than this are left out of the vocabulary.")


def source_tags(source, tags_csv=None):
    """`{file: [tags]}` for an `ImageSource`'s files, from `tags_csv` or the source's own `tags.csv`."""
    if tags_csv:
        rows = read_tags_csv(tags_csv)
        where = tags_csv
    elif getattr(source, "is_zip", False):
        with open_zip(source.path) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "tags.csv"]
            if not names:
                raise ValueError(f"{source.path!r} has no tags.csv; give --tags_csv.")
            name = min(names, key=len)
            data = read_member(archive, name, max_bytes=64 * 1024 * 1024)
            rows = parse_tags_text(decode_tags_bytes(data, f"{source.path}:{name}"), name=f"{source.path}:{name}")
            where = f"{source.path}:{name}"
    elif hasattr(source, "files"):
        path = os.path.join(source.path, "tags.csv")
        if not os.path.isfile(path):
            raise ValueError(f"{source.path!r} has no tags.csv; give --tags_csv.")
        rows, where = read_tags_csv(path), path
    else:
        raise ValueError("`train tagged_dcgan` reads a folder or .zip of images (--image_dir) and its tags.csv.")
    tagged = tags_for_files(rows, source.files)
    if not tagged:
        raise ValueError(f"No image of {source.path!r} is named in {where!r}.")
    untagged = len(source.files) - len(tagged)
    if untagged:
        logger.warning("%d of %d images of %s have no row in %s and are left out.", untagged, len(source.files),
                       source.path, where)
    return tagged


class TaggedDCGANTrainer(DCGANTrainer):
    """Trains `TaggedDCGAN` on a tagged image set; sample grids from fixed noise and tags."""

    model_class = TaggedDCGAN
    config_class = TaggedDCGANConfig
    # The modern DCGAN recipe with translation as the only augmentation (the shipped preset's, measured):
    # colour jitter changes the colours the tags name. `--augment color,translation` jitters a random
    # half of each batch instead and the tag head learns from the other half (`--tag_share`).
    defaults = {
        "report": dict(DCGANTrainer.defaults["report"]),
        "modern": dict(DCGANTrainer.defaults["modern"], augment="translation"),
    }
    embedded_defaults = DCGANTrainer.embedded_defaults
    preset_settings = dict(DCGANTrainer.preset_settings)
    embedded_images = staticmethod(embedded.anime_avatars_64)

    def make_data(self):
        config = self.config
        if config.dataset:
            raise ValueError("`train tagged_dcgan` reads a folder or .zip of images (--image_dir) and a tags.csv, "
                             "not a TFDS --dataset.")
        source = inputs.open_source(config, embedded.anime_avatars_64())
        tags_csv = config.tags_csv or (embedded.anime_avatars_64_tags() if config.uses_embedded_data else None)
        tagged = source_tags(source, tags_csv)
        self.vocabulary = TagVocabulary.from_rows(tagged.values(), min_count=config.min_tag_count)
        logger.info("Tags: %d (%s; flags: %s).", len(self.vocabulary), ", ".join(
            f"{g} {len(self.vocabulary.group_tags(g))}" for g in self.vocabulary.group_names),
            ", ".join(self.vocabulary.flags) or "none")
        labels = {name: self.vocabulary.encode_rows([tags])[0] for name, tags in tagged.items()}
        dataset = source.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed, labels=labels)
        return inputs.TrainData(dataset, len(labels), [source])

    def build_model(self, steps_per_epoch):
        config = self.config
        tag_augment = "" if config.tag_augment in ("none", "off") else config.tag_augment
        model = TaggedDCGAN(tag_vocabulary=self.vocabulary, tag_weight=config.tag_weight, tag_augment=tag_augment,
                            tag_share=config.tag_share, twin_classifier=config.twin_classifier,
                            latent_dim=config.latent_dim, image_size=config.image_size,
                            base_filters=config.base_filters, n_extra_layers=config.n_extra_layers,
                            discriminator_norm=config.discriminator_norm, seed=config.seed,
                            **recipes.recipe_kwargs(config))
        model.compile(g_optimizer=recipes.adam(config, "g"), d_optimizer=recipes.adam(config, "d"),
                      gan_mode=config.gan_mode)
        return model

    def grid_inputs(self, model, count):
        """Fixed generator inputs for the sample grids: the seed's noise and tags drawn from the training set."""
        return model.tag_inputs(count, None, self.config.seed + 12345)

    def finalize(self, model, paths):
        from keras_animegan import visualization

        # One row per hair colour, the same 8 seeds in every row.
        rows = [model.tag_inputs(8, [tag], 7) for tag in model.tag_vocabulary.group_tags("hair_color")[:8]]
        if rows:
            images = keras.ops.convert_to_numpy(model(np.concatenate(rows), training=False))
            visualization.save_png(visualization.make_grid(images, 8), os.path.join(paths.model_dir, "tags.png"))


def run(config, callbacks=()):
    """Trains TaggedDCGAN as `config` says; returns a `RunResult`."""
    return TaggedDCGANTrainer(config, callbacks).run()


main = TaggedDCGANTrainer.main

if __name__ == "__main__":
    sys.exit(main())
