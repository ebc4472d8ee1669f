"""Input pipelines: folders, zips and TFDS datasets of images -> [-1, 1] batches."""

from keras_animegan.data import embedded
from keras_animegan.data.edges import edge_smooth
from keras_animegan.data.flat_cartoon import flat_cartoon
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS
from keras_animegan.data.images import ImageSource
from keras_animegan.utils.decoding import decode_image
from keras_animegan.data.images import image_dataset
from keras_animegan.data.tfds_source import TFDSImageSource
from keras_animegan.data.tfds_source import multi_hot
from keras_animegan.data.tfds_source import resize_and_center_crop


def open_image_source(image_dir=None, dataset=None, data_dir=None, split="train"):
    """The one loader the trainers use: a folder/zip (`image_dir`) or a TFDS name (`dataset`).

    Args:
        image_dir: a folder or `.zip` of images.
        dataset: a TFDS dataset name (e.g. `"faces"` or `"faces/64px"`).
        data_dir: TFDS data directory for `dataset`.
        split: TFDS split.

    Returns:
        An `ImageSource` or `TFDSImageSource`; both have `.dataset(image_size,
        batch_size, ...)`, `len()`, `.path` and `.num_skipped`.
    """
    if image_dir and dataset:
        raise ValueError(f"Give either image_dir ({image_dir!r}) or dataset ({dataset!r}), not both.")
    if dataset:
        return TFDSImageSource(dataset, data_dir=data_dir, split=split)
    if not image_dir:
        raise ValueError("No image source: pass image_dir (a folder or .zip) or dataset (a TFDS name).")
    return ImageSource(image_dir)


def resolve_image_source(spec, data_dir=None, split="train"):
    """One domain argument -> a source: an existing folder or `.zip`, else a TFDS dataset name.

    Args:
        spec: a folder, a `.zip` path, or a TFDS name such as `"thumbs/64px"`.
        data_dir: TFDS data directory when `spec` is a dataset name.
        split: TFDS split.

    Raises:
        FileNotFoundError: `spec` looks like a path but does not exist: it is
            absolute, starts with `.` or `~`, ends in `.zip`, or has more than the
            one `/` a TFDS `name/config` can have.
    """
    import os

    if os.path.exists(spec):
        return ImageSource(spec)
    looks_like_path = (
        os.path.isabs(spec) or spec.startswith((".", "~")) or spec.lower().endswith(".zip") or spec.count("/") > 1
    )
    if looks_like_path:
        raise FileNotFoundError(f"Image source {spec!r} does not exist (not a folder, .zip or TFDS name).")
    return TFDSImageSource(spec, data_dir=data_dir, split=split)
