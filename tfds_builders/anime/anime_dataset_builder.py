"""anime: labeled anime avatars (the report's "Anime" set: 115,087 avatars with tags)."""

import tensorflow_datasets as tfds

from keras_animegan.utils.tags import parse_tags_text
from tfds_builders import image_folder

TAGS_CSV_INSTRUCTIONS = """
Optional labels: a `tags.csv` beside the images (at the top of `manual_dir`, or at the top of the
zip): one row per image, `filename,tag[,tag...]` (each tag in its own column, or Danbooru's
space-separated tags in one; a header row whose first cell is `filename` is allowed). `filename` is the image's path inside `manual_dir` or the
zip, or just its file name. Images without a row get no labels.
"""


def parse_tags_csv(text):
    """`tags.csv` text -> {filename: sorted unique tags} (`keras_animegan.utils.tags.parse_tags_text`: comma
    cells, or Danbooru's space-separated tags in one cell). Blank cells and rows are ignored."""
    return parse_tags_text(text) if text else {}


class Builder(image_folder.ImageFolderBuilder):
    """Anime avatars with optional multi-label tags."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = image_folder.MANUAL_DOWNLOAD_INSTRUCTIONS + TAGS_CSV_INSTRUCTIONS

    def extra_features(self):
        # Class names are the sorted tags of `tags.csv`, set when the build reads it.
        return {"labels": tfds.features.Sequence(tfds.features.ClassLabel())}

    def prepare_extras(self, images):
        self._tags = parse_tags_csv(images.read_text("tags.csv"))
        self.info.features["labels"].feature.names = sorted({t for ts in self._tags.values() for t in ts})

    def extra_example_fields(self, key, image):
        tags = self._tags.get(key)
        if tags is None:
            tags = self._tags.get(key.rsplit("/", 1)[-1], [])
        return {"labels": tags}
