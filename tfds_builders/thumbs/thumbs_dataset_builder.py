"""thumbs: real face photos (the report's "Thumbs" set: 3,666 photos), the photo domain."""

import tensorflow_datasets as tfds

from tfds_builders import image_folder


class Builder(image_folder.ImageFolderBuilder):
    """Face photos: the source domain of CycleGAN and CartoonGAN.

    The face-landmark issue adds per-photo landmark features (468 points, a
    found flag and the face box) through `extra_features()` /
    `extra_example_fields()`; this version stores the images only.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
