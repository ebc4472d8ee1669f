"""faces: unlabeled anime avatars (the report's "Faces" set: 51,223 avatars)."""

import tensorflow_datasets as tfds

from tfds_builders import image_folder


class Builder(image_folder.ImageFolderBuilder):
    """Unlabeled anime avatars: DCGAN's training set and the anime domain of the translators."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
