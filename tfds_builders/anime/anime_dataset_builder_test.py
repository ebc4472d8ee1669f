"""TFDS's own builder test on dummy_data/ (4 train images, 1 test image, tags.csv)."""

import tensorflow_datasets as tfds

from tfds_builders.anime import anime_dataset_builder


class AnimeDatasetBuilderTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = anime_dataset_builder.Builder
    SPLITS = {"train": 4, "test": 1}
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
