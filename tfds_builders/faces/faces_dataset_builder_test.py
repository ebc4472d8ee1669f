"""TFDS's own builder test on dummy_data/ (train and test images by the hash rule)."""

import os

import tensorflow_datasets as tfds

from tfds_builders import image_folder
from tfds_builders.faces import faces_dataset_builder


class FacesDatasetBuilderTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = faces_dataset_builder.Builder
    # Each dummy image's split follows the hash rule (`image_folder.split_of` of its name), derived
    # here rather than written down; the dummy files are named so that both splits get one.
    SPLITS = image_folder.split_counts(os.path.join(os.path.dirname(__file__), "dummy_data"))
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
