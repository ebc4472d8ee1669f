"""TFDS's own builder test on dummy_data/ (4 train images, 1 test image)."""

import tensorflow_datasets as tfds

from tfds_builders.faces import faces_dataset_builder


class FacesDatasetBuilderTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = faces_dataset_builder.Builder
    SPLITS = {"train": 4, "test": 1}
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
