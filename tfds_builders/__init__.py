"""TensorFlow Datasets builders for the report's datasets: `anime`, `thumbs`, `faces`.

Importing this package registers the three builders with TFDS:

    import tfds_builders  # noqa: F401
    ds = tfds.load("faces/64px", data_dir=..., download_and_prepare_kwargs=...)

Each is a manual-download builder: see its README.md for what goes in `manual_dir`.
"""

from tfds_builders.anime import anime_dataset_builder  # noqa: F401
from tfds_builders.faces import faces_dataset_builder  # noqa: F401
from tfds_builders.thumbs import thumbs_dataset_builder  # noqa: F401
