"""TFDS's own builder test on dummy_data/ (train and test images by the hash rule, tags.csv)."""

import os

import tensorflow_datasets as tfds

from tfds_builders import image_folder
from tfds_builders.anime import anime_dataset_builder


class AnimeDatasetBuilderTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = anime_dataset_builder.Builder
    # Each dummy image's split follows the hash rule (`image_folder.split_of` of its name), derived
    # here rather than written down; the dummy files are named so that both splits get one.
    SPLITS = image_folder.split_counts(os.path.join(os.path.dirname(__file__), "dummy_data"))
    SKIP_CHECKSUMS = True


def test_parse_tags_csv():
    text = "filename,tags\na.png,smile, blue_eyes\n\nb.png\nsub/c.png,smile,smile,,hat\n"
    assert anime_dataset_builder.parse_tags_csv(text) == {
        "a.png": ["blue_eyes", "smile"],
        "b.png": [],
        "sub/c.png": ["hat", "smile"],
    }
    assert anime_dataset_builder.parse_tags_csv(None) == {}


if __name__ == "__main__":
    tfds.testing.test_main()
